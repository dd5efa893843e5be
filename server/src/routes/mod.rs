//! HTTP routing: thin handlers that extract, call one service method and respond.

pub mod api;
pub mod assets;
pub mod backend;
pub mod client;
pub mod conversations;
pub mod csrf;
pub mod deadline;
pub mod extract;
pub mod forms;
pub mod health;
pub mod media;
pub mod metrics;
pub mod notices;
pub mod pages;
pub mod people;
pub mod social;
pub mod v0;
pub mod ws;

use crate::state::AppState;
use app::api::backend::SharedBackend;
use axum::extract::DefaultBodyLimit;
use axum::http::Request;
use axum::routing::{any, delete, get, post, put};
use axum::{middleware, Router};
use leptos::prelude::provide_context;
use leptos_axum::{generate_route_list, LeptosRoutes};
use std::sync::Arc;
use tower_http::compression::CompressionLayer;
use tower_http::trace::{DefaultOnResponse, TraceLayer};
use tracing::Level;

/// The request body limit of `POST /api/upload`: the file cap plus 64 KiB for the multipart
/// framing and small fields around the file.
fn upload_body_limit(state: &AppState) -> usize {
    let cap = state
        .config
        .media
        .max_upload_bytes
        .saturating_add(64 * 1024);
    usize::try_from(cap).unwrap_or(usize::MAX)
}

/// The whole HTTP surface: REST API, form posts, pages, server functions and static files.
pub fn router(state: AppState) -> Router {
    let backend: SharedBackend = Arc::new(state.clone());
    let context = move || provide_context(backend.clone());
    let leptos_options = state.leptos.clone();
    let pkg_route = format!("/{}", state.leptos.site_pkg_dir);
    let pkg_files = assets::pkg_dir_service(&state.config.site_root, &state.leptos.site_pkg_dir);

    let pages = Router::new()
        .leptos_routes_with_context(&state, generate_route_list(app::App), context, move || {
            app::shell(leptos_options.clone())
        })
        .route_layer(middleware::from_fn_with_state(state.clone(), pages::guard));

    Router::new()
        .route("/healthz", get(health::healthz))
        .route("/ws", get(ws::upgrade))
        .route("/api/register", post(api::register))
        .route("/api/login", post(api::login))
        .route("/api/logout", post(api::logout))
        .route(
            "/api/me",
            get(api::me).patch(api::update_me).delete(api::delete_me),
        )
        .route("/api/me/password", post(api::change_password))
        .route(
            "/api/me/sessions",
            get(api::sessions).delete(api::end_other_sessions),
        )
        .route("/api/me/sessions/{id}", delete(api::end_session))
        .route(
            "/api/me/privacy",
            get(people::privacy).patch(people::set_privacy),
        )
        .route("/api/users/search", get(people::search_users))
        .route("/api/users/{id}", get(people::profile))
        .route(
            "/api/friends",
            get(social::friends).post(people::ask_friend),
        )
        .route("/api/friends/requests", get(people::requests))
        .route("/api/friends/requests/{id}", delete(people::withdraw))
        .route("/api/friends/requests/{id}/accept", post(people::accept))
        .route("/api/friends/requests/{id}/decline", post(people::decline))
        .route("/api/blocks", get(people::blocked))
        .route(
            "/api/blocks/{id}",
            put(people::block).delete(people::unblock),
        )
        .route("/api/reports", post(people::report))
        .route("/api/admin/reports", get(people::reports))
        .route("/api/friends/{id}", delete(social::remove_friend))
        .route(
            "/api/groups",
            get(social::my_groups).post(social::create_group),
        )
        .route("/api/groups/search", get(social::search_groups))
        .route(
            "/api/groups/{id}",
            delete(social::dissolve_group).patch(conversations::group_settings),
        )
        .route("/api/groups/{id}/join", post(social::join_group))
        .route("/api/groups/{id}/leave", post(social::leave_group))
        .route("/api/groups/{id}/members", get(social::members))
        .route("/api/groups/{id}/owner", post(social::transfer_group))
        .route("/api/conversations", get(conversations::list))
        .route("/api/conversations/{conv}", get(conversations::open))
        .route(
            "/api/conversations/{conv}/messages",
            get(conversations::messages).post(conversations::send),
        )
        .route("/api/conversations/{conv}/read", post(conversations::read))
        .route(
            "/api/conversations/{conv}/actions",
            post(conversations::act),
        )
        .route("/api/notices", get(notices::list))
        .route(
            "/api/upload",
            // The file is streamed and its exact cap enforced while it arrives; this outer
            // limit only stops a body far beyond it (the cap plus room for multipart headers).
            post(media::upload).layer(DefaultBodyLimit::max(upload_body_limit(&state))),
        )
        .route("/metrics", get(metrics::metrics))
        .route("/api/{*rest}", any(api::not_found))
        .route("/login", post(forms::login))
        .route("/register", post(forms::register))
        .route("/logout", post(forms::logout))
        .route("/send", post(forms::send))
        .merge(v0::routes(upload_body_limit(&state)))
        .nest_service(&pkg_route, pkg_files)
        .merge(pages)
        .fallback(leptos_axum::file_and_error_handler::<AppState, _>(
            app::shell,
        ))
        .layer(middleware::from_fn_with_state(state.clone(), csrf::guard))
        .layer(middleware::from_fn_with_state(state.clone(), client::resolve))
        .layer(middleware::from_fn_with_state(
            state.clone(),
            assets::cache_control,
        ))
        // Pages, JSON and the WASM bundle shrink several-fold; clients that send no
        // Accept-Encoding get them as they are.
        .layer(CompressionLayer::new().gzip(true).br(true))
        // Added after the compression layer, so outside it: pictures, sound and video are
        // compressed already, and byte ranges (seeking) must address the stored bytes.
        .route("/media/{key}", get(media::serve))
        // Every request body gets the idle and total deadlines; an answer given before its
        // body was read says `Connection: close`.
        .layer(middleware::from_fn_with_state(
            state.clone(),
            deadline::guard,
        ))
        .layer(
            TraceLayer::new_for_http()
                // The path only: a query may carry a token (`/ws?token=`), and no secret may
                // reach a log line.
                .make_span_with(|req: &Request<_>| {
                    tracing::info_span!("http", method = %req.method(), path = %req.uri().path())
                })
                .on_response(DefaultOnResponse::new().level(Level::INFO)),
        )
        .with_state(state)
}
