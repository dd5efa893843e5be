//! Sending files: what the Attach button picks, what is dropped on the conversation or pasted
//! into the composer, and what the camera and recorders capture all end up here. Each becomes
//! an upload (see [`crate::state::upload`]) shown as a bubble of mine with a local preview, a
//! progress bar and Cancel; a failure shows the server's reason with Retry (only what is not
//! stored yet goes up again). When every file is stored, the message goes through the
//! conversation's ordinary send path under the upload's own cid.
//!
//! The browser's objects (files, requests, `blob:` URLs) stay in this tab's memory under the
//! upload's id; the reactive state holds only plain data.

use crate::components::basics::ErrorText;
use crate::i18n::{t, td_string, use_i18n, Locale};
use crate::ids::Cid;
use crate::protocol::body::MessageBody;
use crate::state::upload::{clock, fit, Kind, Stage, Upload, UploadError};
use leptos::prelude::*;

/// What stopped a capture or a file before anything was sent; shown in the composer.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
// Only the browser build captures.
#[cfg_attr(not(feature = "hydrate"), allow(dead_code))]
pub enum Problem {
    /// The microphone was refused.
    MicDenied,
    /// The camera was refused.
    CameraDenied,
    /// No microphone.
    NoMic,
    /// No camera.
    NoCamera,
    /// The device is held by another app.
    DeviceBusy,
    /// This browser cannot record (no `MediaRecorder`, no `getUserMedia`).
    CannotRecord,
    /// A file of a kind that cannot be sent as a message.
    UnsupportedFile,
    /// Capturing failed for another reason.
    CaptureFailed,
}

impl Problem {
    /// The words shown for it.
    pub fn msg(self, locale: Locale) -> &'static str {
        match self {
            Problem::MicDenied => td_string!(locale, mic_denied),
            Problem::CameraDenied => td_string!(locale, camera_denied),
            Problem::NoMic => td_string!(locale, no_mic),
            Problem::NoCamera => td_string!(locale, no_camera),
            Problem::DeviceBusy => td_string!(locale, device_busy),
            Problem::CannotRecord => td_string!(locale, cannot_record),
            Problem::UnsupportedFile => td_string!(locale, unsupported_file),
            Problem::CaptureFailed => td_string!(locale, capture_failed),
        }
    }
}

/// The conversation's uploads and the composer's capture problem. `Copy`: arena handles.
#[derive(Clone, Copy)]
pub struct Attachments {
    /// Uploads in progress or failed, oldest first.
    pub jobs: RwSignal<Vec<Upload>>,
    /// Why the last capture or file could not be used, shown above the composer.
    pub problem: RwSignal<Option<Problem>>,
    /// Sends a message body under a given cid through the conversation's send path.
    #[cfg_attr(not(feature = "hydrate"), allow(dead_code))]
    send: Callback<(Cid, MessageBody)>,
    /// Tags this conversation's files in the tab's memory, so closing it frees exactly them
    /// (plain data: still readable while the view's signals are being disposed).
    #[cfg_attr(not(feature = "hydrate"), allow(dead_code))]
    scope: u64,
}

impl Attachments {
    /// Uploads for one conversation; `send` is its send path (pending bubble, outbox).
    pub fn new(send: Callback<(Cid, MessageBody)>) -> Attachments {
        Attachments {
            jobs: RwSignal::new(Vec::new()),
            problem: RwSignal::new(None),
            send,
            scope: next_id(),
        }
    }

    /// Stops an upload and forgets it: the request is aborted, its bubble goes, nothing is
    /// sent.
    pub fn cancel(self, id: u64) {
        #[cfg(feature = "hydrate")]
        browser::release(id);
        self.jobs.update(|j| j.retain(|u| u.id != id));
    }

    /// Tries a failed upload again (only the files not stored yet go up).
    pub fn retry(self, id: u64) {
        let again = self
            .jobs
            .try_update(|j| j.iter_mut().find(|u| u.id == id).is_some_and(Upload::retry));
        if again == Some(true) {
            #[cfg(feature = "hydrate")]
            self.run(id);
        }
    }

    /// Shows `problem` in the composer (nothing was sent).
    #[cfg_attr(not(feature = "hydrate"), allow(dead_code))]
    pub fn report(self, problem: Problem) {
        self.problem.set(Some(problem));
    }

    /// Clears up when the conversation closes: requests aborted, local URLs freed.
    pub fn close(self) {
        #[cfg(feature = "hydrate")]
        browser::release_scope(self.scope);
    }

    #[cfg_attr(not(feature = "hydrate"), allow(dead_code))]
    fn update(self, id: u64, f: impl FnOnce(&mut Upload)) {
        self.jobs.try_update(|j| {
            if let Some(u) = j.iter_mut().find(|u| u.id == id) {
                f(u);
            }
        });
    }
}

/// A number unique in this tab (uploads and conversations' scopes share the sequence).
fn next_id() -> u64 {
    #[cfg(feature = "hydrate")]
    {
        browser::next_id()
    }
    #[cfg(not(feature = "hydrate"))]
    {
        0
    }
}

#[cfg(feature = "hydrate")]
pub use browser::{carries_files, dropped_files, pasted_files, Picked};

/// The browser half: files, requests and `blob:` URLs held per upload, and the loop that
/// uploads an attachment's files in turn and then sends its message.
#[cfg(feature = "hydrate")]
mod browser {
    use crate::capture::{self, Sent};
    use crate::components::composer::attachments::{Attachments, Problem};
    use crate::state::upload::{
        read_answer, voice_seconds, FileKind, Kind, Role, Upload, UploadError,
    };
    use leptos::prelude::*;
    use std::cell::RefCell;
    use std::collections::HashMap;
    use web_sys::{Blob, File, XmlHttpRequest};

    /// A file ready to upload: its bytes and a name.
    pub struct Picked {
        /// The bytes.
        pub blob: Blob,
        /// The file name sent along (the server never uses it as a path).
        pub name: String,
    }

    struct Held {
        scope: u64,
        main: Picked,
        poster: Option<Picked>,
        urls: Vec<String>,
        xhr: Option<XmlHttpRequest>,
    }

    thread_local! {
        static HELD: RefCell<HashMap<u64, Held>> = RefCell::new(HashMap::new());
        static NEXT_ID: std::cell::Cell<u64> = const { std::cell::Cell::new(1) };
    }

    pub(super) fn next_id() -> u64 {
        NEXT_ID.with(|n| {
            let id = n.get();
            n.set(id + 1);
            id
        })
    }

    /// Releases every upload of one conversation.
    pub(super) fn release_scope(scope: u64) {
        let ids: Vec<u64> = HELD.with(|h| {
            h.borrow()
                .iter()
                .filter(|(_, held)| held.scope == scope)
                .map(|(id, _)| *id)
                .collect()
        });
        for id in ids {
            release(id);
        }
    }

    /// Aborts the upload's request (if one is running), frees its URLs and forgets its files.
    pub(super) fn release(id: u64) {
        let held = HELD.with(|h| h.borrow_mut().remove(&id));
        if let Some(held) = held {
            if let Some(xhr) = held.xhr {
                let _ = xhr.abort();
            }
            for url in held.urls {
                capture::revoke(&url);
            }
        }
    }

    fn part(id: u64, role: Role) -> Option<(Blob, String)> {
        HELD.with(|h| {
            let h = h.borrow();
            let held = h.get(&id)?;
            let p = match role {
                Role::Main => &held.main,
                Role::Poster => held.poster.as_ref()?,
            };
            Some((p.blob.clone(), p.name.clone()))
        })
    }

    /// True when a drag carries files.
    pub fn carries_files(ev: &web_sys::DragEvent) -> bool {
        ev.data_transfer()
            .is_some_and(|dt| dt.types().includes(&"Files".into(), 0))
    }

    /// The files dropped.
    pub fn dropped_files(ev: &web_sys::DragEvent) -> Vec<File> {
        ev.data_transfer().map(|dt| files(&dt)).unwrap_or_default()
    }

    /// The files pasted (a copied picture, or files copied in a file manager).
    pub fn pasted_files(ev: &web_sys::ClipboardEvent) -> Vec<File> {
        ev.clipboard_data().map(|dt| files(&dt)).unwrap_or_default()
    }

    fn files(dt: &web_sys::DataTransfer) -> Vec<File> {
        dt.files()
            .map(|list| (0..list.length()).filter_map(|i| list.get(i)).collect())
            .unwrap_or_default()
    }

    fn size(blob: &Blob) -> u64 {
        // A file size in bytes, exact in an f64.
        #[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss)]
        let n = blob.size().max(0.0) as u64;
        n
    }

    impl Attachments {
        /// Sends picked, dropped or pasted files, each as its own message, in order.
        pub fn add_files(self, files: Vec<File>) {
            if files.is_empty() {
                return;
            }
            self.problem.set(None);
            leptos::task::spawn_local(async move {
                for file in files {
                    self.add_file(file).await;
                }
            });
        }

        async fn add_file(self, file: File) {
            let name = file.name();
            let kind = FileKind::from_mime(&file.type_());
            let blob: Blob = file.into();
            match kind {
                None => self.report(Problem::UnsupportedFile),
                Some(FileKind::Image) => {
                    let preview = capture::object_url(&blob);
                    self.start(Kind::Image, Picked { blob, name }, None, preview, None);
                }
                Some(FileKind::Video) => {
                    // The poster is taken from the file itself, before anything goes up.
                    let url = capture::object_url(&blob);
                    let poster = match &url {
                        Some(u) => capture::video_poster(u).await,
                        None => None,
                    };
                    if let Some(u) = url {
                        capture::revoke(&u);
                    }
                    self.add_video(Picked { blob, name }, poster);
                }
                Some(FileKind::Audio) => {
                    let url = capture::object_url(&blob);
                    let ms = match &url {
                        Some(u) => capture::audio_duration_ms(u).await,
                        None => None,
                    };
                    if let Some(u) = url {
                        capture::revoke(&u);
                    }
                    let seconds = voice_seconds(ms.unwrap_or(f64::NAN));
                    self.start(
                        Kind::Voice { seconds },
                        Picked { blob, name },
                        None,
                        None,
                        None,
                    );
                }
            }
        }

        /// Sends a photo taken in the browser (a JPEG) of `width`×`height` pixels.
        pub fn add_photo(self, blob: Blob, width: u32, height: u32) {
            let preview = capture::object_url(&blob);
            let name = "photo.jpg".to_owned();
            self.start(
                Kind::Image,
                Picked { blob, name },
                None,
                preview,
                Some((width, height)),
            );
        }

        /// Sends a video with its poster (a JPEG and its pixel size), if one was captured.
        pub fn add_video(self, video: Picked, poster: Option<(Blob, u32, u32)>) {
            let (poster, preview, size) = match poster {
                Some((blob, w, h)) => {
                    let preview = capture::object_url(&blob);
                    let name = "poster.jpg".to_owned();
                    (Some(Picked { blob, name }), preview, Some((w, h)))
                }
                None => (None, None, None),
            };
            self.start(Kind::Video, video, poster, preview, size);
        }

        /// Sends a voice note recorded in the browser, `seconds` long.
        pub fn add_voice(self, recording: Picked, seconds: i64) {
            self.start(Kind::Voice { seconds }, recording, None, None, None);
        }

        fn start(
            self,
            kind: Kind,
            main: Picked,
            poster: Option<Picked>,
            preview: Option<String>,
            local_size: Option<(u32, u32)>,
        ) {
            let id = next_id();
            let mut upload = Upload::new(
                id,
                crate::components::composer::outbox::new_cid(),
                kind,
                size(&main.blob),
                poster.as_ref().map(|p| size(&p.blob)),
            );
            upload.local_size = local_size;
            upload.preview = preview.clone().unwrap_or_default();
            HELD.with(|h| {
                h.borrow_mut().insert(
                    id,
                    Held {
                        scope: self.scope,
                        main,
                        poster,
                        urls: preview.into_iter().collect(),
                        xhr: None,
                    },
                );
            });
            self.problem.set(None);
            self.jobs.update(|j| j.push(upload));
            self.run(id);
        }

        /// Uploads what is missing, in turn; then sends the message (once).
        pub(super) fn run(self, id: u64) {
            leptos::task::spawn_local(async move {
                loop {
                    let next = self
                        .jobs
                        .try_with_untracked(|j| {
                            j.iter().find(|u| u.id == id).and_then(Upload::next_part)
                        })
                        .flatten();
                    let Some(role) = next else { break };
                    let Some((blob, name)) = part(id, role) else {
                        // Cancelled (its files are gone).
                        return;
                    };
                    let progress = move |loaded: f64| {
                        // Bytes, exact in an f64.
                        #[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss)]
                        let loaded = loaded.max(0.0) as u64;
                        self.update(id, |u| u.progress(role, loaded));
                    };
                    let started = move |xhr: XmlHttpRequest| {
                        HELD.with(|h| {
                            if let Some(held) = h.borrow_mut().get_mut(&id) {
                                held.xhr = Some(xhr);
                            }
                        });
                    };
                    let sent = capture::upload(&blob, &name, started, progress).await;
                    let still_here = HELD.with(|h| {
                        h.borrow_mut()
                            .get_mut(&id)
                            .map(|held| held.xhr = None)
                            .is_some()
                    });
                    if !still_here {
                        return;
                    }
                    let result = match sent {
                        Sent::Answer(status, body) => read_answer(status, &body),
                        Sent::NoAnswer => Err(UploadError::Network),
                    };
                    match result {
                        Ok(stored) => self.update(id, |u| u.stored(role, stored)),
                        Err(e) => {
                            self.update(id, |u| u.fail(e));
                            return;
                        }
                    }
                }
                let mut message = None;
                self.update(id, |u| {
                    message = u.take_message().map(|m| (u.cid.clone(), m));
                });
                match message {
                    Some((cid, Ok(body))) => {
                        self.send.run((cid, body));
                        release(id);
                        self.jobs.update(|j| j.retain(|u| u.id != id));
                    }
                    Some((_, Err(e))) => self.update(id, |u| {
                        // Not sendable as built: shown like a refusal (Retry cannot help, so
                        // the person cancels it).
                        u.stage = crate::state::upload::Stage::Failed(UploadError::Server(e));
                    }),
                    None => {}
                }
            });
        }
    }
}

/// One upload as a bubble of mine: the local preview (a picture or video poster, or the
/// voice note's length) under a progress bar, then its status line with Cancel, or the
/// reason it failed with Retry and Cancel.
#[component]
pub fn UploadBubble(
    /// The conversation's uploads.
    attachments: Attachments,
    /// Which one.
    id: u64,
) -> impl IntoView {
    let i18n = use_i18n();
    let jobs = attachments.jobs;
    let Some(first) = jobs.with_untracked(|j| j.iter().find(|u| u.id == id).cloned()) else {
        return ().into_any();
    };
    let percent =
        Memo::new(move |_| jobs.with(|j| j.iter().find(|u| u.id == id).map_or(0, Upload::percent)));
    let stage =
        Memo::new(move |_| jobs.with(|j| j.iter().find(|u| u.id == id).map(|u| u.stage.clone())));
    let media = first.kind.media().code();
    let preview = (!first.preview.is_empty()).then(|| first.preview.clone());
    let size = first.local_size.and_then(|(w, h)| fit(w, h, 260, 260));
    let style = size.map(|(w, h)| format!("width:{w}px;aspect-ratio:{w}/{h}"));
    let body = match (first.kind, preview) {
        (Kind::Voice { seconds }, _) => view! {
            <div class="voice pending-voice">
                <span class="voice-icon" aria-hidden="true">"🎤"</span>
                <span class="duration">{clock(seconds)}</span>
            </div>
        }
        .into_any(),
        (Kind::Video, Some(src)) => view! {
            <div class="upload-preview video-preview" style=style>
                <img src=src alt=move || td_string!(i18n.get_locale(), video)/>
                <span class="play-badge" aria-hidden="true">"▶"</span>
            </div>
        }
        .into_any(),
        (Kind::Image, Some(src)) => view! {
            <div class="upload-preview" style=style>
                <img src=src alt=move || td_string!(i18n.get_locale(), image)/>
            </div>
        }
        .into_any(),
        (Kind::Video | Kind::Image, None) => view! {
            <div class="upload-preview no-preview">
                <span aria-hidden="true">{if first.kind == Kind::Video { "🎬" } else { "🖼" }}</span>
            </div>
        }
        .into_any(),
    };
    let cancel = move |_| attachments.cancel(id);
    let retry = move |_| attachments.retry(id);
    let label = move || td_string!(i18n.get_locale(), upload_progress);
    view! {
        <li class="msg mine upload" data-media=media data-upload=id>
            <div class="msg-body">
                <div class="bubble media uploading" class:failed=move || matches!(stage.get(), Some(Stage::Failed(_)))>
                    {body}
                    <div class="upload-bar" role="progressbar" aria-label=label
                        aria-valuemin="0" aria-valuemax="100" aria-valuenow=move || percent.get()>
                        <span style=move || format!("width:{}%", percent.get())></span>
                    </div>
                </div>
            </div>
        </li>
        {move || match stage.get() {
            Some(Stage::Failed(error)) => view! {
                <li class="msg-status mine failed" role="alert">
                    {match error {
                        UploadError::Server(e) => view! { <ErrorText error=e/> }.into_any(),
                        UploadError::Network => view! { <span>{t!(i18n, upload_network)}</span> }.into_any(),
                    }}
                    " "
                    <button type="button" class="small" on:click=retry>{t!(i18n, retry)}</button>
                    " "
                    <button type="button" class="small secondary" on:click=cancel>{t!(i18n, cancel)}</button>
                </li>
            }
            .into_any(),
            _ => view! {
                <li class="msg-status mine" role="status">
                    <span class="upload-percent">{move || td_string!(i18n.get_locale(), uploading_percent, percent = percent.get())}</span>
                    " "
                    <button type="button" class="small secondary" on:click=cancel
                        aria-label=move || td_string!(i18n.get_locale(), cancel_upload)>{t!(i18n, cancel)}</button>
                </li>
            }
            .into_any(),
        }}
    }
    .into_any()
}
