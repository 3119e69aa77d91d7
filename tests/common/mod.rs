//! A fake Telegram Bot API server on 127.0.0.1 for the bot's tests: it serves the methods the
//! bot calls, hands out updates the test pushes, records every call with the time it arrived,
//! and misbehaves on cue (a status code, `retry_after`, a dropped connection, malformed JSON,
//! a delay) so that faults can be tested. HTTP/1.1 with keep-alive, by hand: the bot's client
//! sends small JSON POSTs.

pub mod process;

use std::collections::{HashMap, VecDeque};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use serde_json::{Value, json};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::Notify;

/// The bot's user id and username on the fake server.
pub const BOT_ID: i64 = 4242;
pub const BOT_USERNAME: &str = "quotebot_test_bot";

/// What a call is answered with instead of the normal result.
#[derive(Clone, Debug)]
pub enum Fault {
    /// An HTTP status with a Telegram error body (`{"ok":false,"error_code":…}`).
    Status(u16, &'static str),
    /// 429 Too Many Requests with `retry_after` seconds.
    RetryAfter(u64),
    /// Close the connection without answering (before the request is acted on).
    Drop,
    /// A 200 answer whose body is not JSON.
    MalformedJson,
    /// A 502 from a proxy: HTML, not JSON.
    ProxyError,
    /// Wait this long, then answer normally.
    Delay(Duration),
    /// Never answer, nor act: the connection stays open until the client gives up.
    Hang,
    /// Answer normally (to put successes between faults in the queue).
    Pass,
    /// Act on the call (a message is delivered), then close the connection without answering:
    /// the client cannot know the server took it.
    AcceptThenDrop,
    /// Act on the call, then answer with a body that is not JSON.
    AcceptThenMalformed,
}

/// A call the bot made.
#[derive(Clone, Debug)]
pub struct Call {
    pub method: String,
    pub body: Value,
    pub at: Instant,
    /// When its request had arrived (before any delay on cue); `at` is when it was answered.
    pub arrived: Instant,
    /// Whether it was answered normally (not with a fault).
    pub served: bool,
}

#[derive(Default)]
struct State {
    updates: Vec<Value>,
    next_update_id: i64,
    next_message_id: i64,
    calls: Vec<Call>,
    faults: HashMap<String, VecDeque<Fault>>,
    requests_seen_paths: Vec<String>,
    /// Files the bot may download: file id → (path, bytes).
    files: HashMap<String, (String, Vec<u8>)>,
    /// The webhook set, if any: `getUpdates` answers 409 while one is, as Telegram's does.
    webhook: Option<String>,
    /// (chat, user) pairs where the user is an administrator of the group, for
    /// `getChatMember`; everyone else is a plain member.
    chat_admins: Vec<(i64, i64)>,
    /// When each update was handed over in an answer to `getUpdates` (the first time).
    handed_over: HashMap<i64, Instant>,
}

/// The server. Dropping it does not stop it: it lives as long as the test's runtime.
#[derive(Clone)]
pub struct FakeApi {
    pub port: u16,
    state: Arc<Mutex<State>>,
    changed: Arc<Notify>,
}

impl FakeApi {
    /// Starts a server on a free port of 127.0.0.1.
    pub async fn start() -> FakeApi {
        let listener = TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind 127.0.0.1");
        let port = listener.local_addr().unwrap().port();
        let api = FakeApi {
            port,
            state: Arc::new(Mutex::new(State {
                next_update_id: 1,
                next_message_id: 1000,
                ..State::default()
            })),
            changed: Arc::new(Notify::new()),
        };
        let server = api.clone();
        tokio::spawn(async move {
            loop {
                let Ok((stream, _)) = listener.accept().await else {
                    continue;
                };
                let api = server.clone();
                tokio::spawn(async move { api.serve(stream).await });
            }
        });
        api
    }

    /// The base URL for `TELOXIDE_API_URL`.
    pub fn url(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }

    /// Queues an update (its `update_id` is filled in); returns the id.
    pub fn push(&self, mut update: Value) -> i64 {
        let mut s = self.state.lock().unwrap();
        let id = s.next_update_id;
        s.next_update_id += 1;
        update["update_id"] = json!(id);
        s.updates.push(update);
        drop(s);
        self.changed.notify_waiters();
        id
    }

    /// Makes the next call of `method` fail with `fault` (faults queue up in order).
    pub fn fault(&self, method: &str, fault: Fault) {
        self.state
            .lock()
            .unwrap()
            .faults
            .entry(method.to_string())
            .or_default()
            .push_back(fault);
    }

    /// Sets a webhook, as a bot deployed elsewhere before would have left it.
    pub fn set_webhook(&self, url: &str) {
        self.state.lock().unwrap().webhook = Some(url.to_string());
    }

    /// Makes `user` an administrator of the group `chat` (as `getChatMember` tells).
    pub fn set_chat_admin(&self, chat: i64, user: i64) {
        self.state.lock().unwrap().chat_admins.push((chat, user));
    }

    /// Makes a file downloadable under `file_id` (for documents sent to the bot).
    pub fn add_file(&self, file_id: &str, bytes: &[u8]) {
        self.state.lock().unwrap().files.insert(
            file_id.to_string(),
            (format!("documents/{file_id}.txt"), bytes.to_vec()),
        );
    }

    /// Every call so far.
    pub fn calls(&self) -> Vec<Call> {
        self.state.lock().unwrap().calls.clone()
    }

    /// Calls of `method` answered normally.
    pub fn served(&self, method: &str) -> Vec<Call> {
        self.calls()
            .into_iter()
            .filter(|c| c.method == method && c.served)
            .collect()
    }

    /// Every call of `method`, answered or not.
    pub fn attempts(&self, method: &str) -> Vec<Call> {
        self.calls()
            .into_iter()
            .filter(|c| c.method == method)
            .collect()
    }

    /// Every request path seen (they carry the token: for checking the bot used it).
    pub fn paths(&self) -> Vec<String> {
        self.state.lock().unwrap().requests_seen_paths.clone()
    }

    /// Waits until `count` calls of `method` that satisfy `pred` were served, or panics after
    /// `timeout`.
    pub async fn wait_for(
        &self,
        method: &str,
        count: usize,
        timeout: Duration,
        pred: impl Fn(&Value) -> bool,
    ) -> Vec<Call> {
        let deadline = Instant::now() + timeout;
        loop {
            let found: Vec<Call> = self
                .served(method)
                .into_iter()
                .filter(|c| pred(&c.body))
                .collect();
            if found.len() >= count {
                return found;
            }
            if Instant::now() > deadline {
                panic!(
                    "waited {timeout:?} for {count} {method} calls, got {}: {:#?}",
                    found.len(),
                    self.calls()
                        .iter()
                        .map(|c| (&c.method, c.served, &c.body))
                        .collect::<Vec<_>>()
                );
            }
            let notified = self.changed.notified();
            let _ = tokio::time::timeout(Duration::from_millis(50), notified).await;
        }
    }

    async fn serve(&self, mut stream: TcpStream) {
        let mut buf = Vec::new();
        loop {
            let Some((head_end, content_length)) = read_head(&mut stream, &mut buf).await else {
                return;
            };
            while buf.len() < head_end + content_length {
                let mut chunk = [0u8; 8192];
                match stream.read(&mut chunk).await {
                    Ok(0) | Err(_) => return,
                    Ok(n) => buf.extend_from_slice(&chunk[..n]),
                }
            }
            let head = String::from_utf8_lossy(&buf[..head_end]).into_owned();
            let body_bytes = buf[head_end..head_end + content_length].to_vec();
            buf.drain(..head_end + content_length);
            let path = head.split_whitespace().nth(1).unwrap_or("").to_string();
            if path.starts_with("/file/") {
                // A file download: `/file/bot<token>/<file path>`.
                let wanted = path
                    .splitn(4, '/')
                    .nth(3)
                    .unwrap_or("")
                    .replace("%2F", "/")
                    .replace("%2f", "/");
                let bytes = {
                    let mut s = self.state.lock().unwrap();
                    s.requests_seen_paths.push(path.clone());
                    s.files
                        .values()
                        .find(|(p, _)| *p == wanted)
                        .map(|(_, b)| b.clone())
                };
                self.record("download", json!(wanted), bytes.is_some());
                let response = match bytes {
                    Some(b) => {
                        let mut r = format!(
                            "HTTP/1.1 200 OK\r\ncontent-type: application/octet-stream\r\ncontent-length: {}\r\n\r\n",
                            b.len()
                        )
                        .into_bytes();
                        r.extend_from_slice(&b);
                        r
                    }
                    None => http_response(404, "text/plain", "not found").into_bytes(),
                };
                if stream.write_all(&response).await.is_err() {
                    return;
                }
                continue;
            }
            // teloxide writes method names capitalized (`GetMe`); Telegram ignores the case.
            let method = lower_first(path.rsplit('/').next().unwrap_or(""));
            let body: Value = serde_json::from_slice(&body_bytes)
                .unwrap_or_else(|_| form_fields(&head, &body_bytes).unwrap_or(Value::Null));
            let arrived = Instant::now();
            let fault = {
                let mut s = self.state.lock().unwrap();
                s.requests_seen_paths.push(path.clone());
                let conflict = method == "getUpdates" && s.webhook.is_some();
                match s.faults.get_mut(&method).and_then(VecDeque::pop_front) {
                    None if conflict => Some(Fault::Status(
                        409,
                        "Conflict: can't use getUpdates method while webhook is active; use deleteWebhook to delete the webhook first",
                    )),
                    f => f,
                }
            };
            let response = match fault {
                Some(Fault::Drop) => {
                    self.record(&method, body, false);
                    return;
                }
                Some(Fault::Hang) => {
                    self.record(&method, body, false);
                    // Until the client closes the connection.
                    let mut sink = [0u8; 1024];
                    while let Ok(n) = stream.read(&mut sink).await {
                        if n == 0 {
                            break;
                        }
                    }
                    return;
                }
                Some(Fault::Pass) | None => self.answer(&method, &body, arrived).await,
                Some(Fault::AcceptThenDrop) => {
                    let _ = self.answer(&method, &body, arrived).await;
                    return;
                }
                Some(Fault::AcceptThenMalformed) => {
                    let _ = self.answer(&method, &body, arrived).await;
                    fault_response(&Fault::MalformedJson)
                }
                Some(Fault::Delay(d)) => {
                    tokio::time::sleep(d).await;
                    self.answer(&method, &body, arrived).await
                }
                Some(f) => {
                    self.record(&method, body, false);
                    fault_response(&f)
                }
            };
            if stream.write_all(response.as_bytes()).await.is_err() {
                return;
            }
        }
    }

    fn record(&self, method: &str, body: Value, served: bool) {
        self.record_arrived(method, body, served, Instant::now());
    }

    fn record_arrived(&self, method: &str, body: Value, served: bool, arrived: Instant) {
        self.state.lock().unwrap().calls.push(Call {
            method: method.to_string(),
            body,
            at: Instant::now(),
            arrived,
            served,
        });
        self.changed.notify_waiters();
    }

    async fn answer(&self, method: &str, body: &Value, arrived: Instant) -> String {
        let result = match method {
            "getUpdates" => {
                let offset = body["offset"].as_i64().unwrap_or(0);
                let limit = body["limit"].as_u64().unwrap_or(100) as usize;
                // Long polling, briefly: wait a little for updates when there are none.
                let deadline = Instant::now() + Duration::from_millis(200);
                loop {
                    let ready: Vec<Value> = {
                        let mut s = self.state.lock().unwrap();
                        s.updates
                            .retain(|u| u["update_id"].as_i64().unwrap_or(0) >= offset);
                        s.updates.iter().take(limit).cloned().collect()
                    };
                    if !ready.is_empty() || Instant::now() > deadline {
                        let now = Instant::now();
                        let mut s = self.state.lock().unwrap();
                        for u in &ready {
                            let id = u["update_id"].as_i64().unwrap_or(0);
                            s.handed_over.entry(id).or_insert(now);
                        }
                        break json!(ready);
                    }
                    let notified = self.changed.notified();
                    let _ = tokio::time::timeout(Duration::from_millis(50), notified).await;
                }
            }
            "getMe" => json!({
                "id": BOT_ID, "is_bot": true, "first_name": "Quotebot", "username": BOT_USERNAME,
                "can_join_groups": true, "can_read_all_group_messages": false,
                "supports_inline_queries": true, "has_main_web_app": false,
            }),
            "getFile" => {
                let id = body["file_id"].as_str().unwrap_or("").to_string();
                let file = self.state.lock().unwrap().files.get(&id).cloned();
                match file {
                    Some((path, bytes)) => json!({
                        "file_id": id, "file_unique_id": format!("u{id}"),
                        "file_size": bytes.len(), "file_path": path,
                    }),
                    None => {
                        json!({"file_id": id, "file_unique_id": "none", "file_size": 0, "file_path": "missing"})
                    }
                }
            }
            "getWebhookInfo" => {
                let url = self
                    .state
                    .lock()
                    .unwrap()
                    .webhook
                    .clone()
                    .unwrap_or_default();
                json!({"url": url, "has_custom_certificate": false, "pending_update_count": 0})
            }
            "getChatMember" => {
                let chat = body["chat_id"].as_i64().unwrap_or(0);
                let user = body["user_id"].as_i64().unwrap_or(0);
                let admin = self
                    .state
                    .lock()
                    .unwrap()
                    .chat_admins
                    .contains(&(chat, user));
                let who = json!({"id": user, "is_bot": false, "first_name": "Tester"});
                if admin {
                    json!({
                        "status": "administrator", "user": who, "can_be_edited": false,
                        "is_anonymous": false, "can_manage_chat": true, "can_change_info": true,
                        "can_delete_messages": true, "can_manage_video_chats": true,
                        "can_invite_users": true, "can_restrict_members": true,
                        "can_promote_members": false,
                    })
                } else {
                    json!({"status": "member", "user": who})
                }
            }
            "deleteWebhook" => {
                self.state.lock().unwrap().webhook = None;
                json!(true)
            }
            "sendMessage" => {
                let id = {
                    let mut s = self.state.lock().unwrap();
                    s.next_message_id += 1;
                    s.next_message_id
                };
                let chat_id = body["chat_id"].as_i64().unwrap_or(0);
                json!({
                    "message_id": id,
                    "date": 1_700_000_000,
                    "chat": chat_json(chat_id),
                    "from": bot_user(),
                    "text": body["text"].as_str().unwrap_or(""),
                })
            }
            "editMessageText" => {
                if body.get("inline_message_id").is_some() {
                    json!(true)
                } else {
                    json!({
                        "message_id": body["message_id"].as_i64().unwrap_or(0),
                        "date": 1_700_000_000,
                        "chat": chat_json(body["chat_id"].as_i64().unwrap_or(0)),
                        "text": body["text"].as_str().unwrap_or(""),
                    })
                }
            }
            _ => json!(true),
        };
        self.record_arrived(method, body.clone(), true, arrived);
        let text = json!({"ok": true, "result": result}).to_string();
        http_response(200, "application/json", &text)
    }
}

fn lower_first(s: &str) -> String {
    let mut c = s.chars();
    c.next()
        .map(|f| f.to_lowercase().collect::<String>() + c.as_str())
        .unwrap_or_default()
}

/// A chat: a supergroup for ids of the form -100…, a group for other negative ids, a
/// private chat for positive ones (as Telegram numbers them).
fn chat_json(chat_id: i64) -> Value {
    if chat_id <= -1_000_000_000_000 {
        json!({"id": chat_id, "type": "supergroup", "title": "Test supergroup"})
    } else if chat_id < 0 {
        json!({"id": chat_id, "type": "group", "title": "Test group"})
    } else {
        json!({"id": chat_id, "type": "private", "first_name": "Tester"})
    }
}

fn bot_user() -> Value {
    json!({"id": BOT_ID, "is_bot": true, "first_name": "Quotebot", "username": BOT_USERNAME})
}

fn http_response(status: u16, content_type: &str, body: &str) -> String {
    let reason = match status {
        200 => "OK",
        429 => "Too Many Requests",
        500 => "Internal Server Error",
        502 => "Bad Gateway",
        503 => "Service Unavailable",
        _ => "Error",
    };
    format!(
        "HTTP/1.1 {status} {reason}\r\ncontent-type: {content_type}\r\ncontent-length: {}\r\n\r\n{body}",
        body.len()
    )
}

fn fault_response(f: &Fault) -> String {
    match f {
        Fault::Status(code, description) => http_response(
            *code,
            "application/json",
            &json!({"ok": false, "error_code": code, "description": description}).to_string(),
        ),
        Fault::RetryAfter(secs) => http_response(
            429,
            "application/json",
            &json!({"ok": false, "error_code": 429,
                    "description": format!("Too Many Requests: retry after {secs}"),
                    "parameters": {"retry_after": secs}})
            .to_string(),
        ),
        Fault::MalformedJson => http_response(200, "application/json", "{\"ok\": tru"),
        Fault::ProxyError => http_response(
            502,
            "text/html",
            "<html><body>502 Bad Gateway</body></html>",
        ),
        Fault::Drop
        | Fault::Delay(_)
        | Fault::Hang
        | Fault::Pass
        | Fault::AcceptThenDrop
        | Fault::AcceptThenMalformed => {
            unreachable!("handled before")
        }
    }
}

/// Reads until the end of a request's head; returns where the body starts and its length.
async fn read_head(stream: &mut TcpStream, buf: &mut Vec<u8>) -> Option<(usize, usize)> {
    loop {
        if let Some(i) = buf.windows(4).position(|w| w == b"\r\n\r\n") {
            let head = String::from_utf8_lossy(&buf[..i]).to_lowercase();
            let length = head
                .lines()
                .find_map(|l| l.strip_prefix("content-length:"))
                .and_then(|v| v.trim().parse().ok())
                .unwrap_or(0);
            return Some((i + 4, length));
        }
        let mut chunk = [0u8; 8192];
        match stream.read(&mut chunk).await {
            Ok(0) | Err(_) => return None,
            Ok(n) => buf.extend_from_slice(&chunk[..n]),
        }
    }
}

/// A text message update from a user in a private chat (`chat > 0`) or a group (`chat < 0`).
pub fn message(chat: i64, user: i64, message_id: i64, text: &str) -> Value {
    json!({"message": {
        "message_id": message_id, "date": 1_700_000_000,
        "chat": chat_json(chat),
        "from": {"id": user, "is_bot": false, "first_name": "Tester"},
        "text": text,
    }})
}

/// A message that replies to `reply_to` (a message object).
pub fn reply_message(chat: i64, user: i64, message_id: i64, text: &str, reply_to: Value) -> Value {
    let mut m = message(chat, user, message_id, text);
    m["message"]["reply_to_message"] = reply_to;
    m
}

/// An edited text message.
pub fn edited(chat: i64, user: i64, message_id: i64, text: &str) -> Value {
    let m = message(chat, user, message_id, text);
    json!({"edited_message": m["message"].clone()})
}

/// A sticker (no text) in a chat.
pub fn sticker(chat: i64, user: i64, message_id: i64) -> Value {
    json!({"message": {
        "message_id": message_id, "date": 1_700_000_000,
        "chat": chat_json(chat),
        "from": {"id": user, "is_bot": false, "first_name": "Tester"},
        "sticker": {"file_id": "f", "file_unique_id": "u", "type": "regular",
                    "width": 512, "height": 512, "is_animated": false, "is_video": false},
    }})
}

/// A document sent in a chat.
pub fn document(
    chat: i64,
    user: i64,
    message_id: i64,
    file_id: &str,
    name: &str,
    size: usize,
) -> Value {
    json!({"message": {
        "message_id": message_id, "date": 1_700_000_000,
        "chat": chat_json(chat),
        "from": {"id": user, "is_bot": false, "first_name": "Tester"},
        "document": {"file_id": file_id, "file_unique_id": format!("u{file_id}"),
                     "file_name": name, "file_size": size},
    }})
}

/// A press of a button under the bot's message `message` (which replied to `question`).
pub fn button_press(user: i64, data: &str, message: Value) -> Value {
    json!({"callback_query": {
        "id": format!("cb{}", data.len()),
        "from": {"id": user, "is_bot": false, "first_name": "Tester"},
        "chat_instance": "ci", "data": data, "message": message,
    }})
}

/// A press of a button under a message sent inline (no message, an inline message id).
pub fn inline_button_press(user: i64, data: &str) -> Value {
    json!({"callback_query": {
        "id": "cbinline",
        "from": {"id": user, "is_bot": false, "first_name": "Tester"},
        "chat_instance": "ci", "data": data, "inline_message_id": "im1",
    }})
}

/// An inline query.
pub fn inline_query(user: i64, query: &str) -> Value {
    json!({"inline_query": {
        "id": "iq1", "from": {"id": user, "is_bot": false, "first_name": "Tester"},
        "query": query, "offset": "",
    }})
}

/// The message object the bot sent in a `sendMessage` call (as Telegram would show it),
/// replying to `question`.
pub fn sent_message(call: &Call, message_id: i64, question: Value) -> Value {
    let chat = call.body["chat_id"].as_i64().unwrap_or(0);
    json!({
        "message_id": message_id, "date": 1_700_000_000, "chat": chat_json(chat),
        "from": bot_user(), "text": call.body["text"],
        "reply_to_message": question,
    })
}

/// Telegram's limits as a set of sent messages met them, by one clock (when each request
/// arrived, or when it was answered).
#[derive(Clone, Copy, Debug)]
pub struct LimitsSeen {
    /// The most messages within any one second.
    pub busiest_second: usize,
    /// The shortest time between two messages to one chat.
    pub closest_in_a_chat: Duration,
    /// The most messages to one group within any one minute.
    pub busiest_group_minute: usize,
}

/// Counts [`LimitsSeen`] over `sends` (`sendMessage` calls) by `clock`.
pub fn limits_seen(sends: &[Call], clock: impl Fn(&Call) -> Instant) -> LimitsSeen {
    fn most_within(times: &[Instant], window: Duration) -> usize {
        (0..times.len())
            .map(|i| {
                times[i..]
                    .iter()
                    .take_while(|&&t| t - times[i] < window)
                    .count()
            })
            .max()
            .unwrap_or(0)
    }
    let mut all: Vec<Instant> = sends.iter().map(&clock).collect();
    all.sort();
    let mut per_chat: HashMap<i64, Vec<Instant>> = HashMap::new();
    for c in sends {
        per_chat
            .entry(c.body["chat_id"].as_i64().unwrap())
            .or_default()
            .push(clock(c));
    }
    let mut closest_in_a_chat = Duration::MAX;
    let mut busiest_group_minute = 0;
    for (chat, mut t) in per_chat {
        t.sort();
        for w in t.windows(2) {
            closest_in_a_chat = closest_in_a_chat.min(w[1] - w[0]);
        }
        if chat < 0 {
            busiest_group_minute =
                busiest_group_minute.max(most_within(&t, Duration::from_secs(60)));
        }
    }
    LimitsSeen {
        busiest_second: most_within(&all, Duration::from_secs(1)),
        closest_in_a_chat,
        busiest_group_minute,
    }
}

/// A text message from a user whose Telegram app speaks `language_code` (`None`: it sends
/// none), as [`message`] otherwise.
pub fn message_in(
    chat: i64,
    user: i64,
    message_id: i64,
    text: &str,
    language_code: Option<&str>,
) -> Value {
    let mut m = message(chat, user, message_id, text);
    if let Some(code) = language_code {
        m["message"]["from"]["language_code"] = json!(code);
    }
    m
}

/// An inline query from a user whose Telegram app speaks `language_code`.
pub fn inline_query_in(user: i64, query: &str, language_code: &str) -> Value {
    let mut q = inline_query(user, query);
    q["inline_query"]["from"]["language_code"] = json!(language_code);
    q
}

/// Webhook mode: the fake server posts updates to the bot's listener as Telegram's servers do
/// (the test stands in for the reverse proxy: the webhook's path, on 127.0.0.1).
impl FakeApi {
    /// The last `setWebhook` served: its `url` and `secret_token`.
    pub fn webhook_set(&self) -> Option<(String, Option<String>)> {
        self.served("setWebhook").last().map(|c| {
            (
                c.body["url"].as_str().unwrap_or("").to_string(),
                c.body["secret_token"].as_str().map(str::to_string),
            )
        })
    }

    /// When the update `id` was first handed over by `getUpdates`.
    pub fn handed_over(&self, id: i64) -> Option<Instant> {
        self.state.lock().unwrap().handed_over.get(&id).copied()
    }

    /// Posts `update` (its `update_id` filled in) to the bot listening on 127.0.0.1:`port`, at
    /// the path of the webhook set, with `secret` as `X-Telegram-Bot-Api-Secret-Token` (none:
    /// no header). Returns the update's id, the HTTP status, and when the request was sent.
    pub async fn post_update(
        &self,
        port: u16,
        mut update: Value,
        secret: Option<&str>,
    ) -> (i64, u16, Instant) {
        let (url, _) = self.webhook_set().expect("a webhook was set");
        let path = url::Url::parse(&url)
            .expect("the webhook is a URL")
            .path()
            .to_string();
        let id = {
            let mut s = self.state.lock().unwrap();
            let id = s.next_update_id;
            s.next_update_id += 1;
            id
        };
        update["update_id"] = json!(id);
        let mut request = self
            .webhook_client()
            .post(format!("http://127.0.0.1:{port}{path}"))
            .header("content-type", "application/json")
            .body(update.to_string());
        if let Some(s) = secret {
            request = request.header("X-Telegram-Bot-Api-Secret-Token", s);
        }
        let sent = Instant::now();
        let status = request
            .send()
            .await
            .expect("the bot's listener answers")
            .status()
            .as_u16();
        (id, status, sent)
    }

    /// Delivers `update` with the secret given to `setWebhook`, as Telegram does; panics unless
    /// the bot takes it (200). Returns its id and when it was sent.
    pub async fn deliver(&self, port: u16, update: Value) -> (i64, Instant) {
        let secret = self.webhook_set().and_then(|(_, s)| s);
        let (id, status, sent) = self.post_update(port, update, secret.as_deref()).await;
        assert_eq!(status, 200, "update {id} was not taken");
        (id, sent)
    }

    /// One client for this server's deliveries: Telegram keeps its connections to a webhook
    /// open too. (Per server, not per process: a client's connections belong to the runtime of
    /// the test that opened them.)
    fn webhook_client(&self) -> reqwest::Client {
        static CLIENTS: Mutex<Option<HashMap<u16, reqwest::Client>>> = Mutex::new(None);
        CLIENTS
            .lock()
            .unwrap()
            .get_or_insert_with(HashMap::new)
            .entry(self.port)
            .or_insert_with(|| {
                reqwest::Client::builder()
                    .no_proxy()
                    .timeout(Duration::from_secs(60))
                    .build()
                    .expect("an HTTP client")
            })
            .clone()
    }
}

/// A port on 127.0.0.1 free a moment ago, for the bot's `--listen`.
pub fn free_port() -> u16 {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind 127.0.0.1");
    listener.local_addr().unwrap().port()
}

/// The text fields of a `multipart/form-data` body (teloxide sends `setWebhook` so) as a JSON
/// object of strings.
fn form_fields(head: &str, body: &[u8]) -> Option<Value> {
    let boundary = head
        .lines()
        .find(|l| {
            l.to_ascii_lowercase()
                .starts_with("content-type: multipart/form-data")
        })?
        .split("boundary=")
        .nth(1)?
        .trim()
        .trim_matches('"')
        .to_string();
    let body = String::from_utf8_lossy(body);
    let mut fields = serde_json::Map::new();
    for part in body.split(&format!("--{boundary}")) {
        let Some((headers, value)) = part.split_once("\r\n\r\n") else {
            continue;
        };
        let Some(name) = headers
            .split("name=\"")
            .nth(1)
            .and_then(|n| n.split('"').next())
        else {
            continue;
        };
        let value = value.strip_suffix("\r\n").unwrap_or(value);
        fields.insert(name.to_string(), json!(value));
    }
    Some(Value::Object(fields))
}
