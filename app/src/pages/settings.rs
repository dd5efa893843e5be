//! `/settings`: who I am, how Parley looks (theme, language), who may ask to be my friend
//! and find me, and the people I blocked. Reached by clicking my own name in the top bar;
//! on a phone "Log out" lives here. Anonymous visitors are sent to `/login` by the server.

use super::profile::ProfileSection;
use super::signed_in::{page_socket, ConnectionBanner, SignedIn};
use crate::api::accounts::{change_password, delete_account, end_sessions, my_sessions};
use crate::api::people::{blocked_users, my_privacy, set_privacy, unblock_user};
use crate::api::Logout;
use crate::components::{go_to, Avatar, ErrorText, LanguageSwitch};
use crate::error::ApiError;
use crate::i18n::{t, td_string, use_i18n, Locale};
use crate::locale::{seen_time, use_clock};
use crate::protocol::event::{AccountPart, ServerEvent};
use crate::protocol::people::{Privacy, PrivacyChange, RequestsFrom};
use crate::protocol::{SessionInfo, User};
use crate::theme::{apply_theme, current_theme, Theme};
use crate::ws::use_socket;
use leptos::{ev::SubmitEvent, prelude::*};

/// The settings page.
#[component]
pub fn SettingsPage() -> impl IntoView {
    view! { <SignedIn page=|user| view! { <Settings user/> }/> }
}

#[component]
fn Settings(user: User) -> impl IntoView {
    let i18n = use_i18n();
    let logout = ServerAction::<Logout>::new();
    // Log out asks once more ("Log out?"), as it sits among other settings; without
    // script the form simply posts.
    let armed = RwSignal::new(false);
    let on_logout = move |ev: SubmitEvent| {
        ev.prevent_default();
        if armed.get_untracked() {
            logout.dispatch(Logout {});
        } else {
            armed.set(true);
        }
    };
    Effect::new(move |_| {
        if let Some(Ok(())) = logout.value().get() {
            go_to("/login");
        }
    });
    let username = user.username.clone();
    // Live, like the chat: what I change on another device shows here at once.
    let socket = page_socket(user.id);
    view! {
        <main class="settings">
            <header class="settings-head">
                <a class="back" href="/" aria-label=move || td_string!(i18n.get_locale(), back_to_chats)>"‹"</a>
                <h1>{t!(i18n, settings_title)}</h1>
            </header>
            <ConnectionBanner socket/>
            <ProfileSection user=user.clone()/>
            <section class="settings-card account-card">
                <div class="profile-line">
                    <span class="grow username">"@"<bdi>{username}</bdi></span>
                    <form method="post" action="/logout" on:submit=on_logout>
                        <button type="submit" class="secondary small" class:armed=move || armed.get()
                            disabled=move || logout.pending().get()
                            on:blur=move |_| armed.set(false)>
                            {move || if armed.get() {
                                td_string!(i18n.get_locale(), log_out_confirm)
                            } else {
                                td_string!(i18n.get_locale(), log_out)
                            }}
                        </button>
                    </form>
                </div>
            </section>
            <section class="settings-card" aria-labelledby="s-look">
                <h2 id="s-look">{t!(i18n, appearance)}</h2>
                <ThemeChoice/>
                <div class="setting-row">
                    <span class="grow">{t!(i18n, language)}</span>
                    <LanguageSwitch/>
                </div>
            </section>
            <PasswordSection/>
            <SessionsSection/>
            <PrivacySection/>
            <BlockedSection/>
            <DeleteAccountSection/>
        </main>
    }
}

/// System, light or dark: applied at once, remembered in a cookie.
#[component]
fn ThemeChoice() -> impl IntoView {
    let i18n = use_i18n();
    let chosen = RwSignal::new(current_theme());
    let label = move |t: Theme| match t {
        Theme::System => td_string!(i18n.get_locale(), theme_system),
        Theme::Light => td_string!(i18n.get_locale(), theme_light),
        Theme::Dark => td_string!(i18n.get_locale(), theme_dark),
    };
    view! {
        <fieldset class="theme-choice">
            <legend>{t!(i18n, theme)}</legend>
            {Theme::ALL.into_iter().map(|theme| view! {
                <label class="choice">
                    <input type="radio" name="theme"
                        prop:checked=move || chosen.get() == theme
                        on:change=move |_| {
                            chosen.set(theme);
                            apply_theme(theme);
                        }/>
                    <span>{move || label(theme)}</span>
                </label>
            }).collect_view()}
        </fieldset>
    }
}

/// Changing my password: the current one, the new one twice. My other sessions end.
#[component]
fn PasswordSection() -> impl IntoView {
    let i18n = use_i18n();
    let (current, new, again) = (
        RwSignal::new(String::new()),
        RwSignal::new(String::new()),
        RwSignal::new(String::new()),
    );
    let mismatch = RwSignal::new(false);
    let change = Action::new(move |_: &()| async move {
        let done = change_password(current.get_untracked(), new.get_untracked()).await;
        if done.is_ok() {
            for field in [current, new, again] {
                field.set(String::new());
            }
        }
        done
    });
    let on_submit = move |ev: SubmitEvent| {
        ev.prevent_default();
        let same = new.get_untracked() == again.get_untracked();
        mismatch.set(!same);
        if same {
            change.dispatch(());
        }
    };
    let outcome = move || {
        if mismatch.get() {
            return Some(
                view! { <p class="form-error" role="alert">{t!(i18n, passwords_differ)}</p> }
                    .into_any(),
            );
        }
        match change.value().get() {
            Some(Ok(())) => Some(view! { <p class="notice notice-ok" role="status">{t!(i18n, password_changed)}</p> }.into_any()),
            Some(Err(error)) => Some(view! { <p class="form-error" role="alert"><ErrorText error/></p> }.into_any()),
            None => None,
        }
    };
    let field = move |label: &'static str, value: RwSignal<String>, auto: &'static str| {
        view! {
            <label>
                <span>{label}</span>
                <input type="password" required maxlength="1024" autocomplete=auto
                    prop:value=move || value.get()
                    on:input=move |ev| value.set(event_target_value(&ev))/>
            </label>
        }
    };
    view! {
        <section class="settings-card" aria-labelledby="s-password">
            <h2 id="s-password">{t!(i18n, password_title)}</h2>
            <form class="password-form" on:submit=on_submit>
                {move || field(td_string!(i18n.get_locale(), current_password), current, "current-password")}
                {move || field(td_string!(i18n.get_locale(), new_password), new, "new-password")}
                {move || field(td_string!(i18n.get_locale(), new_password_again), again, "new-password")}
                <small>{t!(i18n, password_change_hint)}</small>
                {outcome}
                <button type="submit" disabled=move || change.pending().get()>{t!(i18n, change_password)}</button>
            </form>
        </section>
    }
}

/// Where I am signed in: each session's device, address and last use; any other one can be
/// signed out, or all of them at once.
#[component]
fn SessionsSection() -> impl IntoView {
    let i18n = use_i18n();
    let sessions = Resource::new(|| (), |_| my_sessions());
    keep_fresh(
        |e| matches!(e, ServerEvent::Account(AccountPart::Sessions)),
        move || sessions.refetch(),
    );
    let end = Action::new(move |id: &Option<i64>| {
        let id = *id;
        async move {
            let done = end_sessions(id).await;
            sessions.refetch();
            done
        }
    });
    let row = move |s: SessionInfo| {
        let clock = use_clock();
        let id = s.id;
        let device = if s.device.is_empty() {
            td_string!(i18n.get_locale(), unknown_device).to_owned()
        } else {
            s.device.clone()
        };
        let when = move || {
            let seen = clock
                .map(|c| {
                    seen_time(
                        i18n.get_locale(),
                        s.last_used_at,
                        c.now_ms.get(),
                        c.offset_min.get(),
                    )
                })
                .unwrap_or_default();
            td_string!(i18n.get_locale(), session_last_used).replace("{when}", &seen)
        };
        let addr = s.addr.clone();
        let from = (!addr.is_empty()).then(move || {
            view! { <span>{move || td_string!(i18n.get_locale(), session_from).replace("{addr}", &addr)}</span> }
        });
        view! {
            <li class="row session" class:current=s.current>
                <span class="who">
                    <span class="nickname">{device}
                        {s.current.then(|| view! { " " <span class="tag">{t!(i18n, this_device)}</span> })}
                    </span>
                    <span class="username session-meta">{when}" · "{from}</span>
                </span>
                {(!s.current).then(|| view! {
                    <button type="button" class="small secondary"
                        disabled=move || end.pending().get()
                        on:click=move |_| { end.dispatch(Some(id)); }>
                        {t!(i18n, end_session)}
                    </button>
                })}
            </li>
        }
    };
    view! {
        <section class="settings-card" aria-labelledby="s-sessions">
            <h2 id="s-sessions">{t!(i18n, sessions_title)}</h2>
            <Transition fallback=move || view! { <p class="muted-line">{t!(i18n, loading)}</p> }>
                {move || Suspend::new(async move {
                    match sessions.await {
                        Ok(list) => {
                            let others = list.iter().filter(|s| !s.current).count();
                            view! {
                                <ul class="list" aria-labelledby="s-sessions">
                                    {list.into_iter().map(row).collect_view()}
                                </ul>
                                {if others == 0 {
                                    view! { <p class="muted-line">{t!(i18n, no_other_sessions)}</p> }.into_any()
                                } else {
                                    view! {
                                        <button type="button" class="secondary"
                                            disabled=move || end.pending().get()
                                            on:click=move |_| { end.dispatch(None); }>
                                            {t!(i18n, end_other_sessions)}
                                        </button>
                                    }.into_any()
                                }}
                            }.into_any()
                        }
                        Err(e) => view! { <p class="form-error" role="alert"><ErrorText error=e/></p> }.into_any(),
                    }
                })}
            </Transition>
            {move || match end.value().get() {
                Some(Err(e)) => Some(view! { <p class="form-error" role="alert"><ErrorText error=e/></p> }),
                _ => None,
            }}
        </section>
    }
}

/// Deleting my account: my password, then a second click. Friends and groups are told;
/// my messages stay, under "Deleted user".
#[component]
fn DeleteAccountSection() -> impl IntoView {
    let i18n = use_i18n();
    let password = RwSignal::new(String::new());
    let armed = RwSignal::new(false);
    let delete = Action::new(move |_: &()| async move {
        let done = delete_account(password.get_untracked()).await;
        if done.is_ok() {
            go_to("/login");
        }
        done
    });
    let on_submit = move |ev: SubmitEvent| {
        ev.prevent_default();
        if armed.get_untracked() {
            armed.set(false);
            delete.dispatch(());
        } else {
            armed.set(true);
        }
    };
    view! {
        <section class="settings-card danger-zone" aria-labelledby="s-delete">
            <h2 id="s-delete">{t!(i18n, delete_account_title)}</h2>
            <p class="muted-line">{t!(i18n, delete_account_hint)}</p>
            <form class="password-form" on:submit=on_submit>
                <label>
                    <span>{t!(i18n, current_password)}</span>
                    <input type="password" required maxlength="1024" autocomplete="current-password"
                        prop:value=move || password.get()
                        on:input=move |ev| { armed.set(false); password.set(event_target_value(&ev)); }/>
                </label>
                {move || match delete.value().get() {
                    Some(Err(error)) => Some(view! { <p class="form-error" role="alert"><ErrorText error/></p> }),
                    _ => None,
                }}
                <button type="submit" class="danger" disabled=move || delete.pending().get()>
                    {move || if armed.get() {
                        td_string!(i18n.get_locale(), delete_account_confirm)
                    } else {
                        td_string!(i18n.get_locale(), delete_account)
                    }}
                </button>
            </form>
        </section>
    }
}

/// Reads a part of the page again whenever an event `concerns` it, and after every
/// reconnect (which may have missed some). Nothing happens on the server.
fn keep_fresh(
    concerns: fn(&ServerEvent) -> bool,
    refetch: impl Fn() + Clone + Send + Sync + 'static,
) {
    let Some(socket) = use_socket() else { return };
    let again = refetch.clone();
    socket.listen(move |e| {
        if concerns(&e) {
            again();
        }
    });
    Effect::new(move |seen: Option<u32>| {
        let n = socket.opens.get();
        if seen.is_some_and(|s| s != n) {
            refetch();
        }
        n
    });
}

/// Who may ask to be my friend, and whether part of my name finds me.
#[component]
fn PrivacySection() -> impl IntoView {
    let i18n = use_i18n();
    let privacy = Resource::new(|| (), |_| my_privacy());
    let error = RwSignal::new(None::<ApiError>);
    view! {
        <section class="settings-card" aria-labelledby="s-privacy">
            <h2 id="s-privacy">{t!(i18n, privacy)}</h2>
            <Transition fallback=move || view! { <p class="muted-line">{t!(i18n, loading)}</p> }>
                {move || Suspend::new(async move {
                    match privacy.await {
                        Ok(p) => view! { <PrivacyForm initial=p error/> }.into_any(),
                        Err(e) => view! { <p class="form-error" role="alert"><ErrorText error=e/></p> }.into_any(),
                    }
                })}
            </Transition>
            {move || error.get().map(|e| view! { <p class="form-error" role="alert"><ErrorText error=e/></p> })}
        </section>
    }
}

#[component]
fn PrivacyForm(initial: Privacy, error: RwSignal<Option<ApiError>>) -> impl IntoView {
    let i18n = use_i18n();
    let current = RwSignal::new(initial);
    // What the server holds, as last heard: a refused change goes back to it.
    let stored_now = StoredValue::new(initial);
    // Changed on another device: read it again into this form (not a new form, so the
    // switch under the keyboard keeps its focus). While a change of mine is on its way,
    // its own answer is what counts.
    let reading = StoredValue::new(false);
    let save_pending = RwSignal::new(false);
    keep_fresh(
        |e| matches!(e, ServerEvent::Account(AccountPart::Privacy)),
        move || {
            if reading.get_value() {
                return;
            }
            reading.set_value(true);
            leptos::task::spawn_local(async move {
                let stored = my_privacy().await;
                reading.try_set_value(false);
                if let Ok(p) = stored {
                    stored_now.try_set_value(p);
                    if !save_pending.get_untracked() && current.get_untracked() != p {
                        current.set(p);
                    }
                }
            });
        },
    );
    let save = Action::new(move |change: &PrivacyChange| {
        let change = *change;
        async move {
            match set_privacy(change).await {
                Ok(stored) => {
                    stored_now.set_value(stored);
                    current.set(stored);
                    error.set(None);
                }
                Err(e) => {
                    // Show what is stored, not what was asked.
                    current.set(stored_now.get_value());
                    error.set(Some(e));
                }
            }
        }
    });
    Effect::new(move |_| save_pending.set(save.pending().get()));
    let busy = Signal::derive(move || save.pending().get());
    let change = Callback::new(move |change: PrivacyChange| {
        current.update(|c| *c = c.with(change));
        save.dispatch(change);
    });
    let from_label = move |r: RequestsFrom| match r {
        RequestsFrom::Everyone => td_string!(i18n.get_locale(), requests_everyone),
        RequestsFrom::Groups => td_string!(i18n.get_locale(), requests_groups),
        RequestsFrom::Nobody => td_string!(i18n.get_locale(), requests_nobody),
    };
    let code = |r: RequestsFrom| match r {
        RequestsFrom::Everyone => "everyone",
        RequestsFrom::Groups => "groups",
        RequestsFrom::Nobody => "nobody",
    };
    view! {
        <div class="setting-row">
            <label class="grow rule" for="requests-from">
                <strong>{t!(i18n, requests_from)}</strong>
            </label>
            <select id="requests-from" disabled=busy
                on:change=move |ev| {
                    let want = match event_target_value(&ev).as_str() {
                        "groups" => RequestsFrom::Groups,
                        "nobody" => RequestsFrom::Nobody,
                        _ => RequestsFrom::Everyone,
                    };
                    change.run(PrivacyChange { requests_from: Some(want), ..PrivacyChange::default() });
                }>
                {[RequestsFrom::Everyone, RequestsFrom::Groups, RequestsFrom::Nobody].into_iter().map(|r| view! {
                    <option value=code(r) selected=move || current.get().requests_from == r>{move || from_label(r)}</option>
                }).collect_view()}
            </select>
        </div>
        <PrivacySwitch id="discoverable" current busy change
            title=|l| td_string!(l, discoverable) hint=|l| td_string!(l, discoverable_hint)
            is_on=|p| p.discoverable
            turn=|on| PrivacyChange { discoverable: Some(on), ..PrivacyChange::default() }/>
        <PrivacySwitch id="read-receipts" current busy change
            title=|l| td_string!(l, read_receipts) hint=|l| td_string!(l, read_receipts_hint)
            is_on=|p| p.read_receipts
            turn=|on| PrivacyChange { read_receipts: Some(on), ..PrivacyChange::default() }/>
        <PrivacySwitch id="last-seen" current busy change
            title=|l| td_string!(l, last_seen_setting) hint=|l| td_string!(l, last_seen_hint)
            is_on=|p| p.last_seen_visible
            turn=|on| PrivacyChange { last_seen_visible: Some(on), ..PrivacyChange::default() }/>
    }
}

/// One on/off privacy setting: its name, a line saying what it does, and a switch.
#[component]
fn PrivacySwitch(
    /// The switch's element id (its label points at it).
    id: &'static str,
    /// The setting's name.
    title: fn(Locale) -> &'static str,
    /// What it does.
    hint: fn(Locale) -> &'static str,
    /// Whether it is on in these settings.
    is_on: fn(&Privacy) -> bool,
    /// The change that turns it on or off.
    turn: fn(bool) -> PrivacyChange,
    /// The settings as shown.
    current: RwSignal<Privacy>,
    /// While a change is being saved.
    busy: Signal<bool>,
    /// Makes a change (shown at once, then saved).
    change: Callback<PrivacyChange>,
) -> impl IntoView {
    let i18n = use_i18n();
    view! {
        <div class="setting-row">
            <label class="grow rule" for=id>
                <strong>{move || title(i18n.get_locale())}</strong>
                <small>{move || hint(i18n.get_locale())}</small>
            </label>
            <input type="checkbox" role="switch" class="toggle" id=id
                prop:checked=move || current.with(is_on)
                disabled=busy
                on:change=move |ev| change.run(turn(event_target_checked(&ev)))/>
        </div>
    }
}

/// The people I blocked, each with Unblock.
#[component]
fn BlockedSection() -> impl IntoView {
    let i18n = use_i18n();
    let blocked = Resource::new(|| (), |_| blocked_users());
    // Blocked or unblocked on another device, or a blocked person renamed.
    keep_fresh(
        |e| match e {
            ServerEvent::Notice { kind, .. } => kind.changes_blocks(),
            ServerEvent::Profile { .. } => true,
            _ => false,
        },
        move || blocked.refetch(),
    );
    let unblock = Action::new(move |user: &User| {
        let id = user.id;
        async move {
            let done = unblock_user(id).await;
            if done.is_ok() {
                blocked.refetch();
            }
            done
        }
    });
    view! {
        <section class="settings-card" aria-labelledby="s-blocked">
            <h2 id="s-blocked">{t!(i18n, blocked_people)}</h2>
            <Transition fallback=move || view! { <p class="muted-line">{t!(i18n, loading)}</p> }>
                {move || Suspend::new(async move {
                    match blocked.await {
                        Ok(list) if list.is_empty() => view! { <p class="muted-line">{t!(i18n, nobody_blocked)}</p> }.into_any(),
                        Ok(list) => view! {
                            <ul class="list" aria-labelledby="s-blocked">
                                {list.into_iter().map(|u| {
                                    let who = u.clone();
                                    view! {
                                        <li class="row">
                                            <Avatar user=u.clone()/>
                                            <span class="who">
                                                <span class="nickname"><bdi>{u.nickname.clone()}</bdi></span>
                                                <span class="username">"@"<bdi>{u.username.clone()}</bdi></span>
                                            </span>
                                            <button type="button" class="small secondary"
                                                disabled=move || unblock.pending().get()
                                                on:click=move |_| { unblock.dispatch(who.clone()); }>
                                                {t!(i18n, unblock)}
                                            </button>
                                        </li>
                                    }
                                }).collect_view()}
                            </ul>
                        }.into_any(),
                        Err(e) => view! { <p class="form-error" role="alert"><ErrorText error=e/></p> }.into_any(),
                    }
                })}
            </Transition>
            {move || match unblock.value().get() {
                Some(Err(e)) => Some(view! { <p class="form-error" role="alert"><ErrorText error=e/></p> }),
                _ => None,
            }}
        </section>
    }
}
