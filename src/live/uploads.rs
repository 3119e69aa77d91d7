//! Documents sent by admins: what may be saved (a name made safe, a size), under `uploads/`.

use std::path::Path;
use std::sync::PoisonError;

use super::{Added, Library, Refusal, relative};
use crate::corpus::Article;

/// Files larger than this are refused as uploads.
pub const MAX_UPLOAD_BYTES: usize = 1024 * 1024;

/// The folder inside the corpus that uploads are saved in.
pub const UPLOADS: &str = "uploads";

impl Library {
    /// Checks a document sent by an admin, saves it under `uploads/` with a safe, free name,
    /// and reloads.
    pub fn add_document(
        &self,
        file_name: &str,
        bytes: &[u8],
    ) -> std::result::Result<Added, Refusal> {
        let _adding = self.adding.lock().unwrap_or_else(PoisonError::into_inner);
        let safe = check_upload(file_name, bytes.len())?;
        let uploads = self.dir.join(UPLOADS);
        let (article, _) = Article::parse(&uploads.join(&safe), bytes)
            .map_err(|e| Refusal::Invalid(without_dir(&e.to_string(), &uploads)))?;
        if article.date.is_none() {
            return Err(Refusal::NoDate);
        }
        if let Some(p) = self.duplicate_of(article.text.as_str()) {
            return Err(Refusal::Duplicate(relative(&p, &self.dir)));
        }
        std::fs::create_dir_all(&uploads).map_err(|e| Refusal::Io(e.to_string()))?;
        let path = crate::intake::write_new_atomic(&uploads, &safe, bytes)
            .map_err(|e| Refusal::Io(e.to_string()))?;
        let saved_as = relative(&path, &self.dir);
        let file = path
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        let renamed_from = (file != file_name).then(|| file_name.to_string());
        if let Err(e) = self.reload() {
            log::warn!("reloading after an upload failed: {e}");
        }
        Ok(Added {
            title: article.title,
            date: article.date,
            sentences: article.sentences.len(),
            saved_as,
            renamed_from,
        })
    }
}

fn without_dir(message: &str, dir: &Path) -> String {
    message.replace(&format!("{}/", dir.display()), "")
}

/// What can be told of an upload from its name and size alone, before it is fetched: the
/// safe name it would be saved under, or why it is refused.
pub fn check_upload(file_name: &str, size: usize) -> std::result::Result<String, Refusal> {
    let safe = safe_file_name(file_name).ok_or(Refusal::NotText)?;
    if size > MAX_UPLOAD_BYTES {
        return Err(Refusal::TooLarge);
    }
    Ok(safe)
}

/// A file name that is safe to save in the uploads folder: the last component of whatever was
/// given (so `../../etc/x.txt` is `x.txt`), letters, digits, `-`, `_` and `.` only, no leading
/// dot, an article extension kept. `None` when it is not a `.txt` or `.md` file.
#[must_use]
pub fn safe_file_name(given: &str) -> Option<String> {
    let last = given.rsplit(['/', '\\']).next().unwrap_or(given);
    let (stem, ext) = last.rsplit_once('.')?;
    let ext = ext.to_ascii_lowercase();
    if ext != "txt" && ext != "md" {
        return None;
    }
    let mut clean = String::new();
    for c in stem.chars() {
        if c.is_alphanumeric() || c == '-' || c == '_' || c == '.' {
            clean.push(c);
        } else if !clean.ends_with('-') {
            clean.push('-');
        }
    }
    let clean = clean.trim_matches(|c| c == '-' || c == '.');
    let clean: String = clean.chars().take(100).collect();
    let stem = if clean.is_empty() {
        "upload"
    } else {
        clean.as_str()
    };
    Some(format!("{stem}.{ext}"))
}
