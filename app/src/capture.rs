//! The browser's media machinery, in one place (browser build only): camera and microphone
//! (`getUserMedia`), recording (`MediaRecorder`), a live level (`AnalyserNode`), still frames
//! (a `<video>` drawn onto a canvas, then JPEG), what a picked file is (a video's poster, an
//! audio file's duration), object URLs, and uploads with progress (`XMLHttpRequest`, because
//! `fetch` reports no upload progress).
//!
//! Everything here is callback-based in the browser; each helper turns that into a future
//! that resolves once, and takes its event handlers off again before returning, so no
//! closure outlives its use or is dropped while it runs.

use futures::channel::oneshot;
use leptos::wasm_bindgen::{closure::Closure, JsCast, JsValue};
use std::cell::RefCell;
use std::rc::Rc;
use wasm_bindgen_futures::JsFuture;
use web_sys::{
    AnalyserNode, AudioContext, Blob, BlobEvent, BlobPropertyBag, CanvasRenderingContext2d,
    DomException, EventTarget, FormData, HtmlCanvasElement, HtmlImageElement, HtmlMediaElement,
    HtmlVideoElement, MediaRecorder, MediaRecorderOptions, MediaStream, MediaStreamConstraints,
    MediaStreamTrack, ProgressEvent, Url, XmlHttpRequest,
};

/// Why the camera or the microphone could not be used.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum DeviceError {
    /// The person (or the browser's policy) refused access: `NotAllowedError`.
    Denied,
    /// There is no such device: `NotFoundError`, `OverconstrainedError`.
    NotFound,
    /// The device exists but cannot be opened (another app holds it): `NotReadableError`.
    Busy,
    /// This browser (or an insecure page) offers no camera, microphone or recorder.
    Unsupported,
    /// Anything else.
    Failed,
}

fn window() -> Option<web_sys::Window> {
    web_sys::window()
}

fn document() -> Option<web_sys::Document> {
    window()?.document()
}

/// Waits for the first of `names` to fire on `target` (or `timeout_ms` to pass): the name
/// that fired, `None` on timeout.
pub async fn next_event(
    target: &EventTarget,
    names: &[&str],
    timeout_ms: Option<i32>,
) -> Option<String> {
    let (tx, rx) = oneshot::channel::<Option<String>>();
    let tx = Rc::new(RefCell::new(Some(tx)));
    let fire = |value: Option<String>| {
        let tx = tx.clone();
        Closure::<dyn FnMut()>::new(move || {
            if let Some(tx) = tx.borrow_mut().take() {
                let _ = tx.send(value.clone());
            }
        })
    };
    let listeners: Vec<(String, Closure<dyn FnMut()>)> = names
        .iter()
        .map(|&name| (name.to_owned(), fire(Some(name.to_owned()))))
        .collect();
    for (name, c) in &listeners {
        let _ = target.add_event_listener_with_callback(name, c.as_ref().unchecked_ref());
    }
    let timer = timeout_ms.map(|ms| {
        let c = fire(None);
        let handle = window().and_then(|w| {
            w.set_timeout_with_callback_and_timeout_and_arguments_0(c.as_ref().unchecked_ref(), ms)
                .ok()
        });
        (c, handle)
    });
    let got = rx.await.ok().flatten();
    for (name, c) in &listeners {
        let _ = target.remove_event_listener_with_callback(name, c.as_ref().unchecked_ref());
    }
    if let (Some((_, Some(handle))), Some(w)) = (&timer, window()) {
        w.clear_timeout_with_handle(*handle);
    }
    got
}

/// Opens the microphone (`audio`) and/or the camera (`video`).
pub async fn user_media(audio: bool, video: bool) -> Result<MediaStream, DeviceError> {
    let navigator = window().ok_or(DeviceError::Unsupported)?.navigator();
    // `navigator.mediaDevices` is missing on insecure pages and in old browsers.
    let devices = js_sys::Reflect::get(&navigator, &JsValue::from_str("mediaDevices"))
        .ok()
        .filter(|d| !d.is_undefined() && !d.is_null())
        .ok_or(DeviceError::Unsupported)?
        .unchecked_into::<web_sys::MediaDevices>();
    let constraints = MediaStreamConstraints::new();
    constraints.set_audio(&JsValue::from_bool(audio));
    if video {
        // A modest size: plenty for a chat photo or clip, light to upload.
        let v = js_sys::Object::new();
        let ideal = |n: f64| {
            let o = js_sys::Object::new();
            let _ = js_sys::Reflect::set(&o, &JsValue::from_str("ideal"), &JsValue::from_f64(n));
            o
        };
        let _ = js_sys::Reflect::set(&v, &JsValue::from_str("width"), &ideal(1280.0));
        let _ = js_sys::Reflect::set(&v, &JsValue::from_str("height"), &ideal(720.0));
        constraints.set_video(&v);
    } else {
        constraints.set_video(&JsValue::FALSE);
    }
    let promise = devices
        .get_user_media_with_constraints(&constraints)
        .map_err(|e| device_error(&e))?;
    JsFuture::from(promise)
        .await
        .map(JsCast::unchecked_into)
        .map_err(|e| device_error(&e))
}

fn device_error(e: &JsValue) -> DeviceError {
    let name = e.dyn_ref::<DomException>().map(DomException::name);
    match name.as_deref() {
        Some("NotAllowedError" | "SecurityError" | "PermissionDeniedError") => DeviceError::Denied,
        Some("NotFoundError" | "OverconstrainedError" | "DevicesNotFoundError") => {
            DeviceError::NotFound
        }
        Some("NotReadableError" | "AbortError" | "TrackStartError") => DeviceError::Busy,
        Some("NotSupportedError" | "TypeError") => DeviceError::Unsupported,
        _ => DeviceError::Failed,
    }
}

/// Stops every track of `stream`: the camera light goes off, the microphone is released.
pub fn stop_stream(stream: &MediaStream) {
    for track in stream.get_tracks().iter() {
        if let Ok(track) = track.dyn_into::<MediaStreamTrack>() {
            track.stop();
        }
    }
}

/// True when this browser has `MediaRecorder`.
pub fn can_record() -> bool {
    window().is_some_and(|w| {
        js_sys::Reflect::get(&w, &JsValue::from_str("MediaRecorder")).is_ok_and(|r| r.is_function())
    })
}

/// A recording in progress: the recorder and the chunks it has delivered.
pub struct Recorder {
    recorder: MediaRecorder,
    chunks: Rc<RefCell<Vec<Blob>>>,
    on_data: Closure<dyn FnMut(BlobEvent)>,
}

impl Recorder {
    /// Starts recording `stream`, in the first container this browser supports (WebM with
    /// Opus in Chromium and Firefox, MP4 in Safari).
    pub fn start(stream: &MediaStream, video: bool) -> Result<Recorder, DeviceError> {
        if !can_record() {
            return Err(DeviceError::Unsupported);
        }
        let candidates: &[&str] = if video {
            &["video/webm;codecs=vp8,opus", "video/webm", "video/mp4"]
        } else {
            &[
                "audio/webm;codecs=opus",
                "audio/webm",
                "audio/ogg;codecs=opus",
                "audio/mp4",
            ]
        };
        let options = MediaRecorderOptions::new();
        if let Some(mime) = candidates
            .iter()
            .find(|m| MediaRecorder::is_type_supported(m))
        {
            options.set_mime_type(mime);
        }
        if video {
            options.set_video_bits_per_second(1_500_000);
        }
        options.set_audio_bits_per_second(64_000);
        let recorder =
            MediaRecorder::new_with_media_stream_and_media_recorder_options(stream, &options)
                .map_err(|_| DeviceError::Unsupported)?;
        let chunks = Rc::new(RefCell::new(Vec::new()));
        let on_data = {
            let chunks = chunks.clone();
            Closure::<dyn FnMut(BlobEvent)>::new(move |ev: BlobEvent| {
                if let Some(data) = ev.data().filter(|d| d.size() > 0.0) {
                    chunks.borrow_mut().push(data);
                }
            })
        };
        recorder.set_ondataavailable(Some(on_data.as_ref().unchecked_ref()));
        // A chunk every second: a long note is not held in one piece until the end.
        recorder
            .start_with_time_slice(1000)
            .map_err(|_| DeviceError::Failed)?;
        Ok(Recorder {
            recorder,
            chunks,
            on_data,
        })
    }

    /// The recording's type without parameters (`audio/webm`), for the file's name.
    pub fn mime(&self) -> String {
        let m = self.recorder.mime_type();
        m.split(';').next().unwrap_or("").trim().to_owned()
    }

    /// Stops and returns the whole recording (`None` if nothing was recorded).
    pub async fn finish(self) -> Option<Blob> {
        let mime = self.recorder.mime_type();
        if self.recorder.state() != web_sys::RecordingState::Inactive {
            let _ = self.recorder.stop();
            // The last chunk arrives before `stop`.
            next_event(&self.recorder, &["stop"], Some(5000)).await;
        }
        self.recorder.set_ondataavailable(None);
        drop(self.on_data);
        let chunks = self.chunks.take();
        if chunks.is_empty() {
            return None;
        }
        let parts = js_sys::Array::new();
        for c in &chunks {
            parts.push(c);
        }
        let bag = BlobPropertyBag::new();
        bag.set_type(mime.split(';').next().unwrap_or(""));
        Blob::new_with_blob_sequence_and_options(&parts, &bag).ok()
    }

    /// Stops and throws the recording away.
    pub fn cancel(self) {
        self.recorder.set_ondataavailable(None);
        if self.recorder.state() != web_sys::RecordingState::Inactive {
            let _ = self.recorder.stop();
        }
    }
}

/// A file name for a recording of type `mime` (the server sniffs the content; the name is
/// only a hint for people downloading it).
pub fn file_name(stem: &str, mime: &str) -> String {
    let ext = match mime {
        m if m.ends_with("/ogg") => "ogg",
        m if m.ends_with("/mp4") => {
            if m.starts_with("audio") {
                "m4a"
            } else {
                "mp4"
            }
        }
        "image/jpeg" => "jpg",
        _ => "webm",
    };
    format!("{stem}.{ext}")
}

/// The microphone's live level, for the recording meter.
pub struct Meter {
    context: AudioContext,
    analyser: AnalyserNode,
    buffer: Vec<u8>,
}

impl Meter {
    /// Listens to `stream`'s audio; `None` where Web Audio is unavailable (the meter then
    /// stays flat; recording works without it).
    pub fn new(stream: &MediaStream) -> Option<Meter> {
        let context = AudioContext::new().ok()?;
        let source = context.create_media_stream_source(stream).ok()?;
        let analyser = context.create_analyser().ok()?;
        analyser.set_fft_size(512);
        source.connect_with_audio_node(&analyser).ok()?;
        let buffer = vec![128u8; 512];
        Some(Meter {
            context,
            analyser,
            buffer,
        })
    }

    /// The level now, 0.0 to 1.0.
    pub fn level(&mut self) -> f64 {
        self.analyser.get_byte_time_domain_data(&mut self.buffer);
        crate::state::upload::level(&self.buffer)
    }

    /// Releases the audio graph.
    pub fn close(self) {
        let _ = self.context.close();
    }
}

/// Draws the frame `video` shows now onto a canvas, at most `max` px on its longer side:
/// the canvas and its size, or `None` before the first frame.
pub fn still(video: &HtmlVideoElement, max: u32) -> Option<(HtmlCanvasElement, u32, u32)> {
    let (w, h) = crate::state::upload::fit(video.video_width(), video.video_height(), max, max)?;
    let canvas: HtmlCanvasElement = document()?.create_element("canvas").ok()?.dyn_into().ok()?;
    canvas.set_width(w);
    canvas.set_height(h);
    let ctx: CanvasRenderingContext2d = canvas.get_context("2d").ok()??.dyn_into().ok()?;
    ctx.draw_image_with_html_video_element_and_dw_and_dh(
        video,
        0.0,
        0.0,
        f64::from(w),
        f64::from(h),
    )
    .ok()?;
    Some((canvas, w, h))
}

/// The canvas as a JPEG.
pub async fn jpeg(canvas: &HtmlCanvasElement) -> Option<Blob> {
    let (tx, rx) = oneshot::channel::<Option<Blob>>();
    let mut tx = Some(tx);
    let done = Closure::<dyn FnMut(JsValue)>::new(move |blob: JsValue| {
        if let Some(tx) = tx.take() {
            let _ = tx.send(blob.dyn_into::<Blob>().ok());
        }
    });
    canvas
        .to_blob_with_type_and_encoder_options(
            done.as_ref().unchecked_ref(),
            "image/jpeg",
            &JsValue::from_f64(0.85),
        )
        .ok()?;
    let blob = rx.await.ok().flatten();
    drop(done);
    blob
}

/// The picture at `url` (an object URL) decoded, or `None` when this browser cannot read it.
pub async fn load_image(url: &str) -> Option<HtmlImageElement> {
    let img: HtmlImageElement = document()?.create_element("img").ok()?.dyn_into().ok()?;
    img.set_src(url);
    let loaded = next_event(&img, &["load", "error"], Some(10_000)).await;
    (loaded.as_deref() == Some("load") && img.natural_width() > 0 && img.natural_height() > 0)
        .then_some(img)
}

/// Which square of a picture a crop keeps: its side and its top-left corner, in the
/// picture's own pixels. `zoom` >= 1 shrinks the square from the picture's shorter side;
/// `(cx, cy)` is where its centre sits, as fractions of the picture, moved inside if need be.
pub fn crop_square(w: f64, h: f64, zoom: f64, cx: f64, cy: f64) -> (f64, f64, f64) {
    let side = w.min(h) / zoom.max(1.0);
    let x = (cx * w - side / 2.0).clamp(0.0, (w - side).max(0.0));
    let y = (cy * h - side / 2.0).clamp(0.0, (h - side).max(0.0));
    (side, x, y)
}

/// Draws the square of `img` that [`crop_square`] picks onto `canvas`, filling it.
pub fn draw_square(
    canvas: &HtmlCanvasElement,
    img: &HtmlImageElement,
    zoom: f64,
    cx: f64,
    cy: f64,
) {
    let (w, h) = (
        f64::from(img.natural_width()),
        f64::from(img.natural_height()),
    );
    let (side, x, y) = crop_square(w, h, zoom, cx, cy);
    let out = f64::from(canvas.width());
    let Some(ctx) = canvas
        .get_context("2d")
        .ok()
        .flatten()
        .and_then(|c| c.dyn_into::<CanvasRenderingContext2d>().ok())
    else {
        return;
    };
    ctx.set_image_smoothing_enabled(true);
    let _ = ctx.draw_image_with_html_image_element_and_sw_and_sh_and_dx_and_dy_and_dw_and_dh(
        img, x, y, side, side, 0.0, 0.0, out, out,
    );
}

/// The square of `img` as a `px`-pixel JPEG (what becomes an avatar).
pub async fn square_jpeg(
    img: &HtmlImageElement,
    px: u32,
    zoom: f64,
    cx: f64,
    cy: f64,
) -> Option<Blob> {
    let canvas: HtmlCanvasElement = document()?.create_element("canvas").ok()?.dyn_into().ok()?;
    canvas.set_width(px);
    canvas.set_height(px);
    draw_square(&canvas, img, zoom, cx, cy);
    jpeg(&canvas).await
}

/// A still of `video` now as a JPEG, with its size.
pub async fn snapshot(video: &HtmlVideoElement, max: u32) -> Option<(Blob, u32, u32)> {
    let (canvas, w, h) = still(video, max)?;
    Some((jpeg(&canvas).await?, w, h))
}

/// A poster for the video file at `url` (an object URL): a frame near its start as a JPEG,
/// with its size. `None` when this browser cannot decode it (the video is sent without).
pub async fn video_poster(url: &str) -> Option<(Blob, u32, u32)> {
    let video: HtmlVideoElement = document()?.create_element("video").ok()?.dyn_into().ok()?;
    video.set_muted(true);
    video.set_preload("auto");
    let _ = video.set_attribute("playsinline", "");
    video.set_src(url);
    let loaded = next_event(&video, &["loadeddata", "error"], Some(10_000)).await;
    let mut poster = None;
    if loaded.as_deref() == Some("loadeddata") {
        // Just past the start: the very first frame is often black.
        let duration = video.duration();
        let at = if duration.is_finite() {
            (duration / 3.0).min(0.5)
        } else {
            0.0
        };
        if at > 0.0 {
            video.set_current_time(at);
            next_event(&video, &["seeked", "error"], Some(3000)).await;
        }
        poster = snapshot(&video, 1280).await;
    }
    release_media(&video);
    poster
}

/// The duration in ms of the audio file at `url` (an object URL), if the browser can tell.
pub async fn audio_duration_ms(url: &str) -> Option<f64> {
    let audio: HtmlMediaElement = document()?.create_element("audio").ok()?.dyn_into().ok()?;
    audio.set_preload("metadata");
    audio.set_src(url);
    let loaded = next_event(&audio, &["loadedmetadata", "error"], Some(10_000)).await;
    let mut duration = audio.duration();
    if loaded.as_deref() == Some("loadedmetadata") && duration.is_infinite() {
        // Recordings without a duration in their header: seeking far makes the browser
        // scan to the end and learn it.
        audio.set_current_time(1e7);
        next_event(&audio, &["durationchange", "timeupdate"], Some(3000)).await;
        duration = audio.duration();
    }
    release_media(&audio);
    (loaded.as_deref() == Some("loadedmetadata") && duration.is_finite() && duration > 0.0)
        .then_some(duration * 1000.0)
}

fn release_media(el: &HtmlMediaElement) {
    let _ = el.remove_attribute("src");
    el.load();
}

/// A `blob:` URL for showing `blob` in the page; revoke it with [`revoke`] when done.
pub fn object_url(blob: &Blob) -> Option<String> {
    Url::create_object_url_with_blob(blob).ok()
}

/// Frees a URL made by [`object_url`].
pub fn revoke(url: &str) {
    let _ = Url::revoke_object_url(url);
}

/// How an upload request ended, before its answer is read.
pub enum Sent {
    /// The server answered: status and body.
    Answer(u16, String),
    /// No answer: the network failed (or the request was aborted).
    NoAnswer,
}

/// Uploads `blob` as multipart field `file` to `POST /api/upload` (same origin, so the
/// session cookie goes along). `started` gets the request (to abort it); `progress` gets
/// the bytes sent so far as they go.
pub async fn upload(
    blob: &Blob,
    name: &str,
    started: impl FnOnce(XmlHttpRequest),
    progress: impl FnMut(f64) + 'static,
) -> Sent {
    let Ok(xhr) = XmlHttpRequest::new() else {
        return Sent::NoAnswer;
    };
    let Ok(form) = FormData::new() else {
        return Sent::NoAnswer;
    };
    if form
        .append_with_blob_and_filename("file", blob, name)
        .is_err()
        || xhr.open("POST", "/api/upload").is_err()
    {
        return Sent::NoAnswer;
    }
    let _ = xhr.set_request_header("Accept", "application/json");
    let mut progress = progress;
    let on_progress = Closure::<dyn FnMut(ProgressEvent)>::new(move |ev: ProgressEvent| {
        progress(ev.loaded());
    });
    let upload = xhr.upload().ok();
    if let Some(u) = &upload {
        u.set_onprogress(Some(on_progress.as_ref().unchecked_ref()));
    }
    if xhr.send_with_opt_form_data(Some(&form)).is_err() {
        return Sent::NoAnswer;
    }
    started(xhr.clone());
    // `loadend` follows success, error, abort and timeout alike.
    next_event(&xhr, &["loadend"], None).await;
    if let Some(u) = &upload {
        u.set_onprogress(None);
    }
    drop(on_progress);
    match xhr.status() {
        Ok(0) | Err(_) => Sent::NoAnswer,
        Ok(status) => Sent::Answer(
            status,
            xhr.response_text().ok().flatten().unwrap_or_default(),
        ),
    }
}
