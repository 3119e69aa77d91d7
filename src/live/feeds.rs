//! Following the configured news feeds while the bot runs, adding through the library.

use std::sync::Arc;
use std::time::Duration;

use super::{AddOptions, Library, Refusal};

/// The bot's living corpus.
impl crate::intake::feeds::Sink for &Library {
    fn add(
        &mut self,
        page: &crate::web::Page,
        options: &AddOptions,
        fallback_date: Option<crate::date::Date>,
    ) -> std::result::Result<crate::intake::WebAdded, Refusal> {
        Library::add_page(self, page, options, fallback_date)
    }
}

/// Polls `feeds` for as long as it runs (the bot spawns it): each feed when its `every` has
/// passed since its last fetch (at once, at start, for a feed not fetched for that long).
pub async fn follow_feeds(library: Arc<Library>, feeds: Vec<crate::config::FeedConfig>) {
    if feeds.is_empty() {
        return;
    }
    log::info!("following {} feeds", feeds.len());
    loop {
        let now = crate::intake::feeds::now_secs();
        let state = crate::intake::feeds::State::load(library.dir());
        let due: Vec<crate::config::FeedConfig> = feeds
            .iter()
            .filter(|f| {
                state
                    .feeds
                    .get(&f.url)
                    .and_then(|s| s.last_fetch)
                    .is_none_or(|t| t + f.every.as_secs() <= now)
            })
            .cloned()
            .collect();
        if !due.is_empty() {
            let lib = Arc::clone(&library);
            // Adding (reading the page, reloading) is blocking work: a thread of its own, with
            // a runtime for the fetches.
            let joined = tokio::task::spawn_blocking(move || {
                let runtime = tokio::runtime::Builder::new_current_thread()
                    .enable_all()
                    .build()?;
                let fetcher = lib.fetcher().map_err(std::io::Error::other)?.clone();
                let mut sink: &Library = &lib;
                Ok::<_, std::io::Error>(runtime.block_on(crate::intake::feeds::poll_all(
                    lib.dir(),
                    &due,
                    &fetcher,
                    &mut sink,
                )))
            })
            .await;
            match joined {
                Ok(Ok(rounds)) => {
                    for r in rounds {
                        if r.error.is_some() {
                            log::warn!("feed {r}; tried again next round");
                        } else if !r.added.is_empty() {
                            log::info!("feed {r}");
                        }
                    }
                }
                Ok(Err(e)) => log::error!("polling the feeds failed: {e}"),
                Err(e) => log::error!("polling the feeds failed because of a bug: {e}"),
            }
        }
        // The next feed due, checked at least every minute.
        let state = crate::intake::feeds::State::load(library.dir());
        let now = crate::intake::feeds::now_secs();
        let wait = feeds
            .iter()
            .map(|f| {
                let last = state
                    .feeds
                    .get(&f.url)
                    .and_then(|s| s.last_fetch)
                    .unwrap_or(0);
                (last + f.every.as_secs()).saturating_sub(now)
            })
            .min()
            .unwrap_or(60)
            .clamp(1, 60);
        tokio::time::sleep(Duration::from_secs(wait)).await;
    }
}
