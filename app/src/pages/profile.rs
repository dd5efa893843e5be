//! The Profile card of `/settings`: my picture, nickname and status line. A new picture is
//! cropped to a square here in the browser (drag to move it, the slider to zoom), sent as a
//! 512 px JPEG, and the server keeps it with its own smaller size; everyone who sees me gets
//! the change live (cmd 18).

use crate::api::current_user;
use crate::api::people::update_profile;
use crate::components::{Avatar, ErrorText, Modal};
use crate::error::ApiError;
#[cfg(feature = "hydrate")]
use crate::error::ErrorCode;
use crate::i18n::{t, td_string, use_i18n};
use crate::protocol::event::ServerEvent;
use crate::protocol::User;
use crate::ws::use_socket;
use leptos::{ev::SubmitEvent, html, prelude::*};

/// The avatar's side in pixels, as sent.
#[cfg_attr(not(feature = "hydrate"), allow(dead_code))]
const AVATAR_PX: u32 = 512;
/// The crop preview's side in CSS pixels.
const PREVIEW_PX: u32 = 240;
/// How far one arrow key moves the picture, in preview pixels.
const KEY_STEP_PX: f64 = 8.0;
/// How much one + or - zooms.
const ZOOM_STEP: f64 = 0.1;
/// The most the crop zooms in.
const MAX_ZOOM: f64 = 4.0;

/// The profile card: picture (change / remove), nickname, status line.
#[component]
pub fn ProfileSection(
    /// Who I am as the page loaded.
    user: User,
) -> impl IntoView {
    let i18n = use_i18n();
    let me = RwSignal::new(user.clone());
    let nickname = RwSignal::new(user.nickname.clone());
    let status = RwSignal::new(user.status.clone());
    let error = RwSignal::new(None::<ApiError>);
    let saved = RwSignal::new(false);
    let save = Action::new(
        move |change: &(Option<String>, Option<String>, Option<String>)| {
            let (nick, avatar, line) = change.clone();
            async move {
                match update_profile(nick, avatar, line).await {
                    Ok(user) => {
                        nickname.set(user.nickname.clone());
                        status.set(user.status.clone());
                        me.set(user);
                        error.set(None);
                        saved.set(true);
                    }
                    Err(e) => {
                        error.set(Some(e));
                        saved.set(false);
                    }
                }
            }
        },
    );
    // Changed on another device: the picture follows at once, and so does each field I am
    // not in the middle of editing (one that still reads as last saved).
    let follow = move |now: User| {
        let (was_nick, was_status) = me.with_untracked(|u| (u.nickname.clone(), u.status.clone()));
        if nickname.get_untracked() == was_nick && was_nick != now.nickname {
            nickname.set(now.nickname.clone());
        }
        if status.get_untracked() == was_status && was_status != now.status {
            status.set(now.status.clone());
        }
        if me.with_untracked(|u| *u != now) {
            me.set(now);
        }
    };
    if let Some(socket) = use_socket() {
        let my_id = user.id;
        socket.listen(move |event| {
            if let ServerEvent::Profile {
                user,
                nickname,
                avatar,
                status,
            } = event
            {
                if user == my_id {
                    let mut now = me.get_untracked();
                    (now.nickname, now.avatar, now.status) = (nickname, avatar, status);
                    follow(now);
                }
            }
        });
        // Whatever changed while the connection was down.
        Effect::new(move |seen: Option<u32>| {
            let n = socket.opens.get();
            if seen.is_some_and(|s| s != n) {
                leptos::task::spawn_local(async move {
                    if let Ok(Some(now)) = current_user().await {
                        follow(now);
                    }
                });
            }
            n
        });
    }
    let on_submit = move |ev: SubmitEvent| {
        ev.prevent_default();
        save.dispatch((
            Some(nickname.get_untracked()),
            None,
            Some(status.get_untracked()),
        ));
    };
    // The picture being cropped: its object URL while the crop dialog is open.
    let cropping = RwSignal::new(None::<String>);
    let crop_open = RwSignal::new(false);
    // Closing the dialog, however it closes, lets go of the picked picture.
    Effect::new(move |_| {
        if !crop_open.get() {
            #[cfg(feature = "hydrate")]
            if let Some(u) = cropping.get_untracked() {
                crate::capture::revoke(&u);
            }
            cropping.set(None);
        }
    });
    let file_input = NodeRef::<html::Input>::new();
    let on_pick = move |_| {
        #[cfg(feature = "hydrate")]
        {
            let file = file_input
                .get()
                .and_then(|i| i.files())
                .and_then(|f| f.get(0));
            if let Some(file) = file {
                cropping.set(crate::capture::object_url(&file));
                crop_open.set(true);
            }
            if let Some(input) = file_input.get() {
                input.set_value("");
            }
        }
    };
    let uploaded = Callback::new(move |url: String| {
        save.dispatch((None, Some(url), None));
    });
    view! {
        <section class="settings-card" aria-labelledby="s-profile">
            <h2 id="s-profile">{t!(i18n, profile)}</h2>
            <div class="profile-edit">
                <div class="avatar-big">
                    {move || view! { <Avatar user=me.get()/> }}
                </div>
                <div class="avatar-actions">
                    <button type="button" class="secondary small"
                        on:click=move |_| { if let Some(i) = file_input.get() { i.click(); } }>
                        {t!(i18n, change_picture)}
                    </button>
                    <input type="file" class="file-picker" accept="image/*" node_ref=file_input
                        tabindex="-1" aria-hidden="true" on:change=on_pick/>
                    {move || (!me.with(|u| u.avatar.is_empty())).then(|| view! {
                        <button type="button" class="secondary small"
                            disabled=move || save.pending().get()
                            on:click=move |_| { save.dispatch((None, Some(String::new()), None)); }>
                            {t!(i18n, remove_picture)}
                        </button>
                    })}
                </div>
            </div>
            <form class="profile-form" on:submit=on_submit>
                <label>
                    <span>{t!(i18n, nickname_label)}</span>
                    <input name="nickname" required maxlength="32" autocomplete="nickname"
                        prop:value=move || nickname.get()
                        on:input=move |ev| { saved.set(false); nickname.set(event_target_value(&ev)); }/>
                </label>
                <label>
                    <span>{t!(i18n, status_line)}</span>
                    <input name="status" maxlength="80"
                        placeholder=move || td_string!(i18n.get_locale(), status_placeholder)
                        prop:value=move || status.get()
                        on:input=move |ev| { saved.set(false); status.set(event_target_value(&ev)); }/>
                </label>
                {move || error.get().map(|e| view! { <p class="form-error" role="alert"><ErrorText error=e/></p> })}
                {move || saved.get().then(|| view! { <p class="notice notice-ok" role="status">{t!(i18n, profile_saved)}</p> })}
                <button type="submit" disabled=move || save.pending().get()>{t!(i18n, save)}</button>
            </form>
            <Modal open=crop_open title=Signal::derive(move || td_string!(i18n.get_locale(), crop_title).to_owned())>
                {move || cropping.get().map(|url| view! { <CropBody url open=crop_open uploaded error/> })}
            </Modal>
        </section>
    }
}

/// The crop dialog's body: the picked picture in a square window, dragged to place and zoomed with
/// a slider; "Use this picture" uploads the square.
#[component]
fn CropBody(
    /// The picked file's object URL.
    url: String,
    /// The dialog's state: set to false to close it.
    open: RwSignal<bool>,
    /// Gets the uploaded square's `/media/` URL.
    uploaded: Callback<String>,
    /// Where a failure is told.
    error: RwSignal<Option<ApiError>>,
) -> impl IntoView {
    let i18n = use_i18n();
    let zoom = RwSignal::new(1.0_f64);
    // Where the square's centre sits, as fractions of the picture.
    let centre = RwSignal::new((0.5_f64, 0.5_f64));
    let busy = RwSignal::new(false);
    #[cfg(not(feature = "hydrate"))]
    let _ = centre;
    let canvas = NodeRef::<html::Canvas>::new();
    let close = move || open.set(false);
    #[cfg(feature = "hydrate")]
    let image = {
        let url = url.clone();
        LocalResource::new(move || {
            let url = url.clone();
            async move { crate::capture::load_image(&url).await }
        })
    };
    #[cfg(feature = "hydrate")]
    Effect::new(move |_| {
        let (z, (cx, cy)) = (zoom.get(), centre.get());
        if let (Some(c), Some(Some(img))) = (canvas.get(), image.get()) {
            crate::capture::draw_square(&c, &img, z, cx, cy);
        }
    });
    #[cfg(feature = "hydrate")]
    let unreadable = move || matches!(image.get(), Some(None));
    #[cfg(not(feature = "hydrate"))]
    let unreadable = move || false;
    // Dragging moves the picture under the window, as on every phone.
    let drag = StoredValue::new(None::<(f64, f64)>);
    let on_down = move |ev: leptos::ev::PointerEvent| {
        drag.set_value(Some((f64::from(ev.client_x()), f64::from(ev.client_y()))));
        #[cfg(feature = "hydrate")]
        if let Some(c) = canvas.get() {
            let _ = c.set_pointer_capture(ev.pointer_id());
        }
    };
    // Moves the picture by (dx, dy) preview pixels under the window.
    let shift = move |dx: f64, dy: f64| {
        #[cfg(feature = "hydrate")]
        if let Some(Some(img)) = image.get_untracked() {
            let (w, h) = (
                f64::from(img.natural_width()),
                f64::from(img.natural_height()),
            );
            let (side, _, _) = crate::capture::crop_square(w, h, zoom.get_untracked(), 0.5, 0.5);
            // One preview pixel is `side / PREVIEW_PX` picture pixels; moving the picture
            // right moves the window left.
            let scale = side / f64::from(PREVIEW_PX);
            centre.update(|(cx, cy)| {
                *cx = (*cx - dx * scale / w).clamp(0.0, 1.0);
                *cy = (*cy - dy * scale / h).clamp(0.0, 1.0);
            });
        }
        #[cfg(not(feature = "hydrate"))]
        let _ = (dx, dy);
    };
    let on_move = move |ev: leptos::ev::PointerEvent| {
        let Some((x0, y0)) = drag.get_value() else {
            return;
        };
        let (x, y) = (f64::from(ev.client_x()), f64::from(ev.client_y()));
        drag.set_value(Some((x, y)));
        shift(x - x0, y - y0);
    };
    // The same from the keyboard: arrows move (Shift for bigger steps), + and - zoom.
    let on_key = move |ev: leptos::ev::KeyboardEvent| {
        let step = if ev.shift_key() {
            KEY_STEP_PX * 4.0
        } else {
            KEY_STEP_PX
        };
        match ev.key().as_str() {
            "ArrowLeft" => shift(-step, 0.0),
            "ArrowRight" => shift(step, 0.0),
            "ArrowUp" => shift(0.0, -step),
            "ArrowDown" => shift(0.0, step),
            "+" | "=" => zoom.update(|z| *z = (*z + ZOOM_STEP).min(MAX_ZOOM)),
            "-" | "_" => zoom.update(|z| *z = (*z - ZOOM_STEP).max(1.0)),
            _ => return,
        }
        ev.prevent_default();
    };
    let on_up = move |_| drag.set_value(None);
    let use_it = move |_| {
        busy.set(true);
        #[cfg(feature = "hydrate")]
        leptos::task::spawn_local(async move {
            let img = image.get_untracked().flatten();
            let (z, (cx, cy)) = (zoom.get_untracked(), centre.get_untracked());
            let blob = match img {
                Some(img) => crate::capture::square_jpeg(&img, AVATAR_PX, z, cx, cy).await,
                None => None,
            };
            let outcome = match blob {
                None => Err(ApiError::new(ErrorCode::InvalidField)),
                Some(blob) => {
                    match crate::capture::upload(&blob, "avatar.jpg", |_| {}, |_| {}).await {
                        crate::capture::Sent::Answer(status, body) => {
                            crate::state::upload::read_answer(status, &body).map_err(|e| match e {
                                crate::state::upload::UploadError::Server(e) => e,
                                crate::state::upload::UploadError::Network => {
                                    ApiError::new(ErrorCode::Internal)
                                }
                            })
                        }
                        crate::capture::Sent::NoAnswer => Err(ApiError::new(ErrorCode::Internal)),
                    }
                }
            };
            busy.set(false);
            match outcome {
                Ok(stored) => {
                    uploaded.run(stored.url);
                    close();
                }
                Err(e) => error.set(Some(e)),
            }
        });
        #[cfg(not(feature = "hydrate"))]
        let _ = (uploaded, error, &close);
    };
    let _ = &url;
    view! {
            <div class="crop">
                {move || unreadable().then(|| view! {
                    <p class="form-error" role="alert">{t!(i18n, picture_unreadable)}</p>
                })}
                <canvas class="crop-canvas" node_ref=canvas width=AVATAR_PX height=AVATAR_PX
                    style=format!("width:{PREVIEW_PX}px;height:{PREVIEW_PX}px")
                    tabindex="0" role="img"
                    aria-label=move || td_string!(i18n.get_locale(), crop_hint)
                    on:keydown=on_key
                    on:pointerdown=on_down on:pointermove=on_move on:pointerup=on_up
                    on:pointercancel=on_up></canvas>
                <small class="crop-help">{t!(i18n, crop_help)}</small>
                <label class="crop-zoom">
                    <span>{t!(i18n, zoom)}</span>
                    <input type="range" min="1" max=MAX_ZOOM step="0.01"
                        prop:value=move || zoom.get().to_string()
                        on:input=move |ev| {
                            if let Ok(z) = event_target_value(&ev).parse::<f64>() {
                                zoom.set(z.clamp(1.0, MAX_ZOOM));
                            }
                        }/>
                </label>
                <div class="modal-actions crop-actions">
                    <button type="button" class="secondary" on:click=move |_| close()>{t!(i18n, cancel)}</button>
                    <button type="button" disabled=move || busy.get() || unreadable() on:click=use_it>
                        {t!(i18n, use_picture)}
                    </button>
                </div>
            </div>
    }
}
