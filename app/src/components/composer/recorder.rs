//! Capturing in the browser: voice notes (tap "Record voice", watch the timer and the level,
//! then Cancel or Send; it stops by itself at 60 s), photos and short videos from the camera
//! (a dialog with the live picture; "Take photo", or "Record" then "Stop and send", at most
//! 30 s, with a poster frame captured from the picture as recording starts).
//!
//! The camera and microphone are opened only on request and released as soon as they are no
//! longer needed (the dialog closes, the note is sent or cancelled, the conversation is left).
//! When they cannot be opened (refused, missing, busy, or no recorder in this browser) the
//! composer says so and nothing is sent.

use super::attachments::Attachments;
use crate::i18n::{t, td_string, use_i18n};
use crate::state::upload::{clock, VIDEO_MAX_SECS, VOICE_MAX_SECS};
use leptos::{html, prelude::*};

/// A voice note being recorded, as shown: time so far and the microphone's level.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct VoiceLive {
    /// Milliseconds recorded.
    pub elapsed_ms: f64,
    /// Level now, 0.0 to 1.0.
    pub level: f64,
}

/// Starts recording a voice note; `voice` shows it from the moment the microphone is open.
pub fn start_voice(attachments: Attachments, voice: RwSignal<Option<VoiceLive>>) {
    #[cfg(feature = "hydrate")]
    browser::start_voice(attachments, voice);
    #[cfg(not(feature = "hydrate"))]
    let _ = (attachments, voice);
}

/// Ends the voice note: sent (`send`) or thrown away.
pub fn stop_voice(attachments: Attachments, voice: RwSignal<Option<VoiceLive>>, send: bool) {
    #[cfg(feature = "hydrate")]
    browser::stop_voice(attachments, voice, send);
    #[cfg(not(feature = "hydrate"))]
    let _ = (attachments, voice, send);
}

/// The recording bar that stands in for the tools while a voice note records: a red dot,
/// the time, the level meter, Cancel and Send.
#[component]
pub fn VoiceBar(
    /// Where uploads go.
    attachments: Attachments,
    /// The recording shown.
    voice: RwSignal<Option<VoiceLive>>,
) -> impl IntoView {
    let i18n = use_i18n();
    let send = NodeRef::<html::Button>::new();
    // The Record button is gone: the keyboard lands on Send.
    Effect::new(move |_| {
        if let Some(b) = send.get() {
            let _ = b.focus();
        }
    });
    let shown = move || {
        // Whole seconds elapsed (the timer reads 0:00 for the first second).
        let ms = voice.with(|v| v.map_or(0.0, |v| v.elapsed_ms));
        // A few minutes at most: exact.
        #[allow(clippy::cast_possible_truncation)]
        let s = (ms / 1000.0).floor() as i64;
        clock(s)
    };
    // The cap, which a narrow screen leaves out.
    let cap = format!(" / {}", clock(VOICE_MAX_SECS));
    let level = move || {
        let l = voice.with(|v| v.map_or(0.0, |v| v.level));
        // 0..=100 for the meter.
        #[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss)]
        let p = (l * 100.0).round().clamp(0.0, 100.0) as u32;
        p
    };
    view! {
        <div class="voice-bar" role="group" aria-label=move || td_string!(i18n.get_locale(), recording_voice)>
            <span class="rec-dot" aria-hidden="true"></span>
            <span class="rec-time" role="timer" aria-label=move || td_string!(i18n.get_locale(), recording_time)>
                {shown}<span class="rec-cap">{cap}</span>
            </span>
            <span class="level" role="meter" aria-label=move || td_string!(i18n.get_locale(), mic_level)
                aria-valuemin="0" aria-valuemax="100" aria-valuenow=level>
                <span style=move || format!("width:{}%", level())></span>
            </span>
            <button type="button" class="small secondary" on:click=move |_| stop_voice(attachments, voice, false)>
                {t!(i18n, cancel)}
            </button>
            <button type="button" class="small" node_ref=send on:click=move |_| stop_voice(attachments, voice, true)>
                {t!(i18n, send_voice)}
            </button>
        </div>
    }
}

/// What the camera dialog is for.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CameraMode {
    /// A still photo.
    Photo,
    /// A short video with sound.
    Video,
}

/// The camera dialog's body: the live picture and its buttons. The camera opens when this
/// appears and closes when it goes (the dialog only renders it while open).
#[component]
pub fn CameraView(
    /// Where uploads go and problems are told.
    attachments: Attachments,
    /// The dialog's open state; set to false when done.
    open: RwSignal<bool>,
    /// Photo or video.
    mode: CameraMode,
) -> impl IntoView {
    let i18n = use_i18n();
    let video = NodeRef::<html::Video>::new();
    let ready = RwSignal::new(false);
    // Milliseconds recorded, while recording a video.
    let recording = RwSignal::new(None::<f64>);
    let busy = RwSignal::new(false);
    #[cfg(feature = "hydrate")]
    browser::open_camera(attachments, open, video, ready, mode);
    #[cfg(not(feature = "hydrate"))]
    let _ = (attachments, mode);
    let take = move |_| {
        busy.set(true);
        #[cfg(feature = "hydrate")]
        browser::take_photo(attachments, open, video, busy);
    };
    let record = move |_| {
        #[cfg(feature = "hydrate")]
        browser::start_video(attachments, open, video, recording);
    };
    let stop = move |_| {
        busy.set(true);
        #[cfg(feature = "hydrate")]
        browser::stop_video(attachments, open, recording, true);
    };
    let time = move || {
        let ms = recording.get().unwrap_or(0.0);
        // Seconds of a short clip: exact.
        #[allow(clippy::cast_possible_truncation)]
        let s = (ms / 1000.0).floor() as i64;
        format!("{} / {}", clock(s), clock(VIDEO_MAX_SECS))
    };
    let actions = match mode {
        CameraMode::Photo => view! {
            <button type="button" on:click=take disabled=move || !ready.get() || busy.get()>
                {t!(i18n, take_photo)}
            </button>
        }
        .into_any(),
        CameraMode::Video => view! {
            {move || recording.get().is_some().then(|| view! {
                <span class="rec-dot" aria-hidden="true"></span>
                <span class="rec-time" role="timer">{time}</span>
            })}
            <Show when=move || recording.get().is_some()
                fallback=move || view! {
                    <button type="button" on:click=record disabled=move || !ready.get()>
                        {t!(i18n, start_recording)}
                    </button>
                }>
                <button type="button" on:click=stop disabled=move || busy.get()>{t!(i18n, stop_and_send)}</button>
            </Show>
        }
        .into_any(),
    };
    view! {
        <div class="camera">
            <video class="camera-preview" node_ref=video autoplay muted playsinline
                aria-label=move || td_string!(i18n.get_locale(), camera_preview)></video>
            {move || (!ready.get()).then(|| view! { <p class="camera-wait muted">{t!(i18n, camera_starting)}</p> })}
            <div class="dialog-actions camera-actions">
                {actions}
                <button type="button" class="secondary" on:click=move |_| open.set(false)>{t!(i18n, cancel)}</button>
            </div>
        </div>
    }
}

#[cfg(feature = "hydrate")]
mod browser {
    use crate::capture::{self, DeviceError, Meter, Recorder};
    use crate::components::composer::attachments::{Attachments, Picked, Problem};
    use crate::components::composer::recorder::{CameraMode, VoiceLive};
    use crate::state::upload::{voice_seconds, VIDEO_MAX_SECS, VOICE_MAX_SECS};
    use leptos::prelude::*;
    use std::cell::{Cell, RefCell};
    use std::time::Duration;
    use web_sys::{Blob, MediaStream};

    fn now() -> f64 {
        web_sys::window()
            .and_then(|w| w.performance())
            .map_or(0.0, |p| p.now())
    }

    fn problem(e: DeviceError, camera: bool) -> Problem {
        match (e, camera) {
            (DeviceError::Denied, true) => Problem::CameraDenied,
            (DeviceError::Denied, false) => Problem::MicDenied,
            (DeviceError::NotFound, true) => Problem::NoCamera,
            (DeviceError::NotFound, false) => Problem::NoMic,
            (DeviceError::Busy, _) => Problem::DeviceBusy,
            (DeviceError::Unsupported, _) => Problem::CannotRecord,
            (DeviceError::Failed, _) => Problem::CaptureFailed,
        }
    }

    struct Voice {
        stream: MediaStream,
        recorder: Recorder,
        meter: Option<Meter>,
        started: f64,
        tick: IntervalHandle,
    }

    struct Camera {
        stream: MediaStream,
        recorder: Option<(Recorder, f64, IntervalHandle)>,
        poster: Option<(Blob, u32, u32)>,
    }

    thread_local! {
        static VOICE: RefCell<Option<Voice>> = const { RefCell::new(None) };
        /// Set while the microphone is being opened, so a second tap does nothing.
        static VOICE_OPENING: Cell<bool> = const { Cell::new(false) };
        static CAMERA: RefCell<Option<Camera>> = const { RefCell::new(None) };
        /// Counts camera openings: an opening that finishes after its dialog closed (or
        /// another opened) closes its own stream.
        static CAMERA_GEN: Cell<u64> = const { Cell::new(0) };
    }

    pub(super) fn start_voice(attachments: Attachments, voice: RwSignal<Option<VoiceLive>>) {
        let active = VOICE.with(|v| v.borrow().is_some()) || VOICE_OPENING.get();
        if active {
            return;
        }
        attachments.problem.set(None);
        if !capture::can_record() {
            attachments.report(Problem::CannotRecord);
            return;
        }
        VOICE_OPENING.set(true);
        leptos::task::spawn_local(async move {
            let opened = capture::user_media(true, false).await;
            VOICE_OPENING.set(false);
            let stream = match opened {
                Ok(s) => s,
                Err(e) => {
                    attachments.report(problem(e, false));
                    return;
                }
            };
            if voice.is_disposed() {
                // The conversation was left while the microphone was opening.
                capture::stop_stream(&stream);
                return;
            }
            let recorder = match Recorder::start(&stream, false) {
                Ok(r) => r,
                Err(e) => {
                    capture::stop_stream(&stream);
                    attachments.report(problem(e, false));
                    return;
                }
            };
            let meter = Meter::new(&stream);
            let started = now();
            let tick = set_interval_with_handle(
                move || {
                    let shown = VOICE.with(|v| {
                        v.borrow_mut().as_mut().map(|a| VoiceLive {
                            elapsed_ms: now() - a.started,
                            level: a.meter.as_mut().map_or(0.0, Meter::level),
                        })
                    });
                    if let Some(live) = shown {
                        voice.try_set(Some(live));
                        // The cap: a full minute is sent as it is.
                        #[allow(clippy::cast_precision_loss)]
                        let cap = (VOICE_MAX_SECS * 1000) as f64;
                        if live.elapsed_ms >= cap {
                            stop_voice(attachments, voice, true);
                        }
                    }
                },
                Duration::from_millis(100),
            );
            let Ok(tick) = tick else {
                recorder.cancel();
                capture::stop_stream(&stream);
                attachments.report(Problem::CaptureFailed);
                return;
            };
            VOICE.with(|v| {
                *v.borrow_mut() = Some(Voice {
                    stream,
                    recorder,
                    meter,
                    started,
                    tick,
                });
            });
            voice.try_set(Some(VoiceLive {
                elapsed_ms: 0.0,
                level: 0.0,
            }));
        });
    }

    pub(super) fn stop_voice(
        attachments: Attachments,
        voice: RwSignal<Option<VoiceLive>>,
        send: bool,
    ) {
        let Some(active) = VOICE.with(|v| v.borrow_mut().take()) else {
            return;
        };
        active.tick.clear();
        voice.try_set(None);
        if let Some(m) = active.meter {
            m.close();
        }
        let elapsed = now() - active.started;
        if !send {
            active.recorder.cancel();
            capture::stop_stream(&active.stream);
            return;
        }
        leptos::task::spawn_local(async move {
            let mime = active.recorder.mime();
            let blob = active.recorder.finish().await;
            capture::stop_stream(&active.stream);
            match blob {
                Some(blob) => {
                    let name = capture::file_name("voice", &mime);
                    attachments.add_voice(Picked { blob, name }, voice_seconds(elapsed));
                }
                None => attachments.report(Problem::CaptureFailed),
            }
        });
    }

    /// Opens the camera (and, for video, the microphone) into the dialog's `<video>`, and
    /// closes them when the dialog's body goes away.
    pub(super) fn open_camera(
        attachments: Attachments,
        open: RwSignal<bool>,
        video: NodeRef<leptos::html::Video>,
        ready: RwSignal<bool>,
        mode: CameraMode,
    ) {
        let generation = CAMERA_GEN.get() + 1;
        CAMERA_GEN.set(generation);
        attachments.problem.set(None);
        on_cleanup(move || {
            if CAMERA_GEN.get() == generation {
                CAMERA_GEN.set(generation + 1);
            }
            close_camera();
        });
        let with_sound = mode == CameraMode::Video;
        if with_sound && !capture::can_record() {
            attachments.report(Problem::CannotRecord);
            open.set(false);
            return;
        }
        leptos::task::spawn_local(async move {
            let opened = capture::user_media(with_sound, true).await;
            let stream = match opened {
                Ok(s) => s,
                Err(e) => {
                    attachments.report(problem(e, true));
                    open.try_set(false);
                    return;
                }
            };
            if CAMERA_GEN.get() != generation {
                // The dialog closed meanwhile.
                capture::stop_stream(&stream);
                return;
            }
            close_camera();
            if let Some(v) = video.get_untracked() {
                v.set_src_object(Some(&stream));
                let _ = v.play();
                // The first frame is needed for a photo or poster.
                capture::next_event(&v, &["loadeddata", "playing"], Some(5000)).await;
            }
            CAMERA.with(|c| {
                *c.borrow_mut() = Some(Camera {
                    stream,
                    recorder: None,
                    poster: None,
                });
            });
            ready.try_set(true);
        });
    }

    fn close_camera() {
        if let Some(cam) = CAMERA.with(|c| c.borrow_mut().take()) {
            if let Some((recorder, _, tick)) = cam.recorder {
                tick.clear();
                recorder.cancel();
            }
            capture::stop_stream(&cam.stream);
        }
    }

    pub(super) fn take_photo(
        attachments: Attachments,
        open: RwSignal<bool>,
        video: NodeRef<leptos::html::Video>,
        busy: RwSignal<bool>,
    ) {
        let Some(v) = video.get_untracked() else {
            return;
        };
        leptos::task::spawn_local(async move {
            match capture::snapshot(&v, 1920).await {
                Some((blob, w, h)) => {
                    attachments.add_photo(blob, w, h);
                    open.try_set(false);
                }
                None => {
                    busy.try_set(false);
                    attachments.report(Problem::CaptureFailed);
                }
            }
        });
    }

    pub(super) fn start_video(
        attachments: Attachments,
        open: RwSignal<bool>,
        video: NodeRef<leptos::html::Video>,
        recording: RwSignal<Option<f64>>,
    ) {
        let Some(v) = video.get_untracked() else {
            return;
        };
        let Some(stream) = CAMERA.with(|c| c.borrow().as_ref().map(|c| c.stream.clone())) else {
            return;
        };
        let recorder = match Recorder::start(&stream, true) {
            Ok(r) => r,
            Err(e) => {
                attachments.report(problem(e, true));
                open.set(false);
                return;
            }
        };
        let started = now();
        let tick = set_interval_with_handle(
            move || {
                let elapsed = now() - started;
                recording.try_set(Some(elapsed));
                #[allow(clippy::cast_precision_loss)]
                let cap = (VIDEO_MAX_SECS * 1000) as f64;
                if elapsed >= cap {
                    stop_video(attachments, open, recording, true);
                }
            },
            Duration::from_millis(200),
        );
        let Ok(tick) = tick else {
            recorder.cancel();
            return;
        };
        CAMERA.with(|c| {
            if let Some(cam) = c.borrow_mut().as_mut() {
                cam.recorder = Some((recorder, started, tick));
            }
        });
        recording.set(Some(0.0));
        // The poster: what the camera shows as recording starts.
        leptos::task::spawn_local(async move {
            let poster = capture::snapshot(&v, 1280).await;
            CAMERA.with(|c| {
                if let Some(cam) = c.borrow_mut().as_mut() {
                    cam.poster = poster;
                }
            });
        });
    }

    pub(super) fn stop_video(
        attachments: Attachments,
        open: RwSignal<bool>,
        recording: RwSignal<Option<f64>>,
        send: bool,
    ) {
        let taken = CAMERA.with(|c| {
            c.borrow_mut()
                .as_mut()
                .and_then(|cam| cam.recorder.take().map(|r| (r, cam.poster.take())))
        });
        let Some(((recorder, _, tick), poster)) = taken else {
            return;
        };
        tick.clear();
        if !send {
            recorder.cancel();
            recording.try_set(None);
            return;
        }
        leptos::task::spawn_local(async move {
            let mime = recorder.mime();
            let blob = recorder.finish().await;
            match blob {
                Some(blob) => {
                    let name = capture::file_name("video", &mime);
                    attachments.add_video(Picked { blob, name }, poster);
                }
                None => attachments.report(Problem::CaptureFailed),
            }
            open.try_set(false);
        });
    }
}
