//! The HTTP API (axum). Handlers parse and authenticate, then hand the work to the storage on tokio's
//! blocking pool. Every error answers with `ErrorBody` (a code and a Chinese message), also for unknown
//! paths, wrong methods and oversized request lines or headers. The storage and the rules answer with
//! domain errors ([`ServerError`]); only this layer knows HTTP statuses ([`error`]).

mod error;
mod history;
mod settings;
pub use error::ApiError;

use crate::blobs::BlobStore;
use crate::error::ServerError;
use crate::guard::Admit;
use crate::storage::{DeviceAuth, FileRights, Storage};
use axum::body::Bytes;
use axum::extract::rejection::BytesRejection;
use axum::extract::{DefaultBodyLimit, Query, State};
use axum::http::{HeaderMap, HeaderName, StatusCode};
use axum::response::IntoResponse;
use axum::routing::{get, post};
use axum::{Json, Router};
use serde::{de::DeserializeOwned, Deserialize, Serialize};
use std::sync::Arc;
use tower_http::compression::{CompressionLayer, CompressionLevel};
use uuid::Uuid;
use zoufang_model::{Role, Scope};
use zoufang_sync::{
    BlobStatus, CodeRequest, CodeResponse, EnrolResponse, ErrorBody, LoginRequest, PullResponse, PushRequest,
    PushResponse, SealingKeyBody, SealingKeyInfo, UserRequest, BLOB_CHUNK, MAX_BODY, PROTOCOL,
};

/// How the server meets the network: what it trusts in front of it, and its TLS.
#[derive(Debug, Clone, Default)]
pub struct ApiOptions {
    /// Reverse proxies (addresses or networks, e.g. `10.0.0.5` or `10.0.0.0/8`) whose `X-Forwarded-For`
    /// header names the client. From anyone else the header is ignored: the TCP peer is the client.
    pub trusted_proxies: Vec<ipnet::IpNet>,
    /// Serve HTTPS with this configuration (see `tls`); `None`: plain HTTP.
    pub tls: Option<std::sync::Arc<rustls::ServerConfig>>,
}

impl ApiOptions {
    /// Parses a comma-separated list of addresses and networks.
    pub fn with_trusted_proxies(list: &str) -> Result<ApiOptions, String> {
        let trusted_proxies = list
            .split(',')
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .map(|s| {
                s.parse::<ipnet::IpNet>()
                    .or_else(|_| s.parse::<std::net::IpAddr>().map(ipnet::IpNet::from))
                    .map_err(|_| format!("无法识别的代理地址：{s}（应为 IP 地址或网段，如 10.0.0.5 或 10.0.0.0/8）"))
            })
            .collect::<Result<_, _>>()?;
        Ok(ApiOptions { trusted_proxies, tls: None })
    }
}

/// The API router over a storage backend and a photo store, trusting no proxy.
pub fn router(storage: Storage, blobs: BlobStore) -> Router {
    router_with(storage, blobs, ApiOptions::default())
}

/// The API router over a storage backend and a photo store.
pub fn router_with(storage: Storage, blobs: BlobStore, options: ApiOptions) -> Router {
    let photos = Router::new()
        .route("/v1/blobs/{hash}", get(blob_get))
        .route("/v1/blobs/{hash}/upload", get(blob_status).put(blob_put))
        .layer(DefaultBodyLimit::max(BLOB_CHUNK + 1024))
        .layer(axum::Extension(blobs));
    Router::new()
        .route("/v1/health", get(health))
        .route("/v1/openapi.json", get(openapi_json))
        .route("/v1/enrol", post(enrol))
        .route("/v1/login", post(login))
        .route("/v1/handover", post(handover))
        .route("/v1/enrol-codes", post(issue_code))
        .route("/v1/users", post(add_user))
        .route("/v1/me", get(me))
        .route("/v1/sealing-key", get(sealing_key_get).put(sealing_key_put))
        .route("/v1/settings", get(settings::settings_get).put(settings::settings_put))
        .route("/v1/history/{household}", get(history::history_get))
        .route("/v1/push", post(push))
        .route("/v1/pull", get(pull))
        .layer(DefaultBodyLimit::max(MAX_BODY))
        .merge(photos)
        .fallback(not_found)
        .method_not_allowed_fallback(method_not_allowed)
        // Compressed sync over slow township links, negotiated with the standard headers so proxies and
        // older clients still work: answers (pull pages) in zstd or gzip when the client asks for it
        // (not JPEG photos, which are compressed already), request bodies (pushes) taken in either
        // (an unknown encoding is 415). The body limit applies to what a body decompresses to.
        // zstd at level 1, the inner layer, when the client takes it: on a county's pull pages level 1
        // is both smaller and faster than zstd's default 3 (30.3 MB against 33.4 MB, compressed in
        // 58 % of the time; see docs/operator-guide.md). gzip otherwise, at its default level (its level 1 is a
        // quarter larger). The outer layer leaves an answer the inner one compressed as it is.
        .layer(CompressionLayer::new().no_br().no_deflate().no_gzip().quality(CompressionLevel::Precise(1)))
        .layer(CompressionLayer::new().no_br().no_deflate().no_zstd())
        .layer(tower_http::decompression::RequestDecompressionLayer::new().no_br().no_deflate())
        .layer(axum::middleware::from_fn(request_limits))
        .layer(axum::Extension(Arc::new(options)))
        .with_state(storage)
}

async fn not_found() -> ApiError {
    ApiError::new(StatusCode::NOT_FOUND, "not_found", "没有这个接口")
}

async fn method_not_allowed() -> ApiError {
    ApiError::new(StatusCode::METHOD_NOT_ALLOWED, "method_not_allowed", "这个接口不支持该请求方法")
}

/// Longest request target (path and query) answered; longer ones get 414.
pub const MAX_URI: usize = 8 * 1024;
/// Most header bytes and headers answered; more get 431. (The HTTP layer's own limits, which answer
/// without a body, lie above these: 64 KB of request target, 100 headers.)
pub const MAX_HEADER_BYTES: usize = 32 * 1024;
pub const MAX_HEADERS: usize = 64;

/// Refuses an oversized request line or header section with the JSON error body, before any handler.
async fn request_limits(req: axum::extract::Request, next: axum::middleware::Next) -> axum::response::Response {
    let uri_len = req.uri().path_and_query().map_or(0, |p| p.as_str().len());
    if uri_len > MAX_URI {
        return ApiError::new(
            StatusCode::URI_TOO_LONG,
            "uri_too_long",
            format!("请求地址过长（{uri_len} 字节，最多 {MAX_URI} 字节）"),
        )
        .into_response();
    }
    let headers = req.headers();
    let bytes: usize = headers.iter().map(|(k, v)| k.as_str().len() + v.len() + 4).sum();
    if headers.len() > MAX_HEADERS || bytes > MAX_HEADER_BYTES {
        return ApiError::new(
            StatusCode::REQUEST_HEADER_FIELDS_TOO_LARGE,
            "headers_too_large",
            format!("请求头过大（{} 个，{bytes} 字节；最多 {MAX_HEADERS} 个、{MAX_HEADER_BYTES} 字节）", headers.len()),
        )
        .into_response();
    }
    let resp = next.run(req).await;
    // Answers made below the handlers without a body (a request body in an encoding the server does
    // not take): the JSON error body too.
    if resp.status().is_client_error() && !resp.headers().contains_key(axum::http::header::CONTENT_TYPE) {
        let status = resp.status();
        let (code, message) = match status {
            StatusCode::UNSUPPORTED_MEDIA_TYPE => {
                ("unsupported_encoding", "请求体的压缩方式服务器不支持（可用 zstd、gzip 或不压缩）")
            }
            _ => ("bad_request", "请求无法处理"),
        };
        return ApiError::new(status, code, message).into_response();
    }
    resp
}

/// The API as an OpenAPI 3.1 document, generated from the handlers and the protocol types.
#[derive(utoipa::OpenApi)]
#[openapi(
    info(title = "走访 zoufang sync API", description = "设备注册、推送与拉取修改、一户一档照片。每个错误都回答 {\"error\": 代码, \"message\": 中文说明}。"),
    paths(health, enrol, login, me, handover, issue_code, add_user, sealing_key_get, sealing_key_put, settings::settings_get, settings::settings_put, history::history_get, push, pull, blob_status, blob_put, blob_get),
    modifiers(&BearerToken),
    tags((name = "sync"), (name = "devices"), (name = "photos"), (name = "inspections"))
)]
pub struct ApiDoc;

/// Declares the device token as a bearer scheme named `token`.
struct BearerToken;

impl utoipa::Modify for BearerToken {
    fn modify(&self, api: &mut utoipa::openapi::OpenApi) {
        use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
        let components = api.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "token",
            SecurityScheme::Http(HttpBuilder::new().scheme(HttpAuthScheme::Bearer).bearer_format("zf_…").build()),
        );
    }
}

async fn openapi_json() -> impl IntoResponse {
    use utoipa::OpenApi;
    ([(axum::http::header::CONTENT_TYPE, "application/json")], ApiDoc::openapi().to_pretty_json().unwrap_or_default())
}

/// Wrong secrets (enrolment codes, passwords) allowed per client address, and per account, within
/// `GUARD_WINDOW_MS` before further attempts are refused until the window is over.
pub const ENROL_FAILURES_ALLOWED: u32 = 10;
const GUARD_WINDOW_MS: i64 = 10 * 60 * 1000;
/// How long an attempt waits for others from the same address to be checked, and how often it looks.
const GUARD_WAIT: std::time::Duration = std::time::Duration::from_secs(10);
const GUARD_POLL: std::time::Duration = std::time::Duration::from_millis(50);

/// The client's address: the TCP peer, or, when the peer is a trusted proxy, the right-most address in
/// `X-Forwarded-For` that is not one of the trusted proxies (what the outermost trusted proxy saw).
/// Addresses a client wrote into the header itself lie further left and are never reached.
pub fn client_addr(peer: std::net::IpAddr, headers: &HeaderMap, trusted: &[ipnet::IpNet]) -> std::net::IpAddr {
    let is_trusted = |ip: &std::net::IpAddr| trusted.iter().any(|n| n.contains(ip));
    if !is_trusted(&peer) {
        return peer;
    }
    let forwarded: Vec<&str> = headers
        .get_all("x-forwarded-for")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .map(str::trim)
        .collect();
    let mut client = peer;
    for hop in forwarded.iter().rev() {
        let Ok(ip) = hop.parse::<std::net::IpAddr>() else { break };
        client = ip;
        if !is_trusted(&ip) {
            break;
        }
    }
    client
}

async fn blocking<T: Send + 'static, E: Into<ApiError> + Send + 'static>(
    f: impl FnOnce() -> Result<T, E> + Send + 'static,
) -> Result<T, ApiError> {
    tokio::task::spawn_blocking(f).await.map_err(ApiError::internal)?.map_err(Into::into)
}

/// Parses a JSON body with our own errors: too large → 413, malformed or unknown fields → 400.
fn parse<T: DeserializeOwned>(body: Result<Bytes, BytesRejection>) -> Result<T, ApiError> {
    let body = body.map_err(|e| {
        if e.status() == StatusCode::PAYLOAD_TOO_LARGE {
            ApiError::new(
                StatusCode::PAYLOAD_TOO_LARGE,
                "body_too_large",
                format!("请求过大：最多 {} MB，请分批同步", MAX_BODY / 1024 / 1024),
            )
        } else {
            ApiError::bad_request(format!("无法读取请求：{e}"))
        }
    })?;
    serde_json::from_slice(&body).map_err(|e| ApiError::bad_request(format!("请求格式错误：{e}")))
}

async fn auth(storage: &Storage, headers: &HeaderMap) -> Result<DeviceAuth, ApiError> {
    let token = headers
        .get(axum::http::header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
        .map(str::trim)
        .filter(|t| !t.is_empty() && t.len() < 200)
        .ok_or_else(ApiError::unauthorized)?
        .to_string();
    let s = storage.clone();
    blocking(move || s.authenticate(&token)).await
}

#[derive(Serialize, utoipa::ToSchema)]
struct Health {
    status: &'static str,
    server_id: Uuid,
    protocol: u32,
    version: &'static str,
    /// The server's clock (Unix ms): a device whose changes were refused as dated ahead of it
    /// (`clock_ahead`) sets its own clock by this.
    time_ms: u64,
}

#[utoipa::path(get, path = "/v1/health", tag = "sync", responses((status = 200, description = "服务器在线", body = Health)))]
async fn health(State(s): State<Storage>) -> Json<Health> {
    Json(Health {
        status: "ok",
        server_id: s.server_id(),
        protocol: PROTOCOL,
        version: env!("CARGO_PKG_VERSION"),
        time_ms: zoufang_sync::hlc::now_ms(),
    })
}

#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
struct EnrolBody {
    protocol: u32,
    code: String,
    device_id: Uuid,
    device_name: String,
    /// When this device id is already registered (its token expired): its old token, or the last link
    /// of its history the server holds (hex), proving it is the same device.
    #[serde(default)]
    proof: Option<String>,
}

type Peer = Option<axum::Extension<axum::extract::ConnectInfo<std::net::SocketAddr>>>;

/// Runs an enrolment (by code or by password) under the guess guard: each attempt is counted, before
/// the secret is checked, against the client's address (and, for a password, the account), by the
/// rule in `guard`: a key with too many wrong secrets (`failure` code) in the window is refused with
/// 429. The counts live in the database: restarts and replicas share them.
/// `check` refuses oversized fields and returns the protocol the device speaks and, for a password,
/// the account it is tried against.
#[allow(clippy::too_many_arguments)]
async fn guarded<B: DeserializeOwned + Send + 'static>(
    storage: Storage,
    options: Arc<ApiOptions>,
    peer: Peer,
    headers: &HeaderMap,
    body: Result<Bytes, BytesRejection>,
    (what, failure): (&'static str, &'static str),
    check: impl FnOnce(&B) -> Result<(u32, Option<String>), ApiError>,
    run: impl FnOnce(B) -> Result<EnrolResponse, ServerError> + Send + 'static,
) -> Result<Json<EnrolResponse>, ApiError> {
    let peer = peer.map(|p| p.0 .0.ip()).unwrap_or(std::net::IpAddr::V4(std::net::Ipv4Addr::UNSPECIFIED));
    let client = client_addr(peer, headers, &options.trusted_proxies);
    let b: B = parse(body)?;
    let (protocol, account) = check(&b)?;
    if protocol != PROTOCOL {
        return Err(ApiError::new(
            StatusCode::BAD_REQUEST,
            "unsupported_protocol",
            "应用版本与服务器不一致，请升级应用",
        ));
    }
    let mut keys = vec![format!("addr:{client}")];
    keys.extend(account.map(|a| format!("login:{}", a.trim().to_lowercase())));
    // Run to the end in a task of its own, so that a client hanging up cannot leave its attempt pending.
    // Attempts in flight that fill the limit are waited out (a room of tablets enrolling at once behind
    // one address); wrong secrets that fill it refuse until the window is over.
    let attempt = tokio::spawn(async move {
        let started = std::time::Instant::now();
        loop {
            let (st, k) = (storage.clone(), keys.clone());
            match blocking(move || st.guard_take(&k, ENROL_FAILURES_ALLOWED, GUARD_WINDOW_MS)).await? {
                Admit::Go => break,
                Admit::Wait if started.elapsed() < GUARD_WAIT => tokio::time::sleep(GUARD_POLL).await,
                Admit::Wait | Admit::Refuse => {
                    tracing::warn!("too many wrong {what} from {client}");
                    return Err(ApiError::new(
                        StatusCode::TOO_MANY_REQUESTS,
                        "too_many_attempts",
                        format!("{what}输错次数过多，请十分钟后再试"),
                    ));
                }
            }
        }
        blocking(move || {
            let result = run(b);
            storage.guard_release(&keys, matches!(&result, Err(e) if e.code == failure))?;
            result
        })
        .await
    });
    let result = attempt.await.map_err(ApiError::internal)?;
    result.map(Json)
}

#[utoipa::path(post, path = "/v1/enrol", tag = "devices", request_body = EnrolBody, responses((status = 200, description = "本机已注册；令牌只显示这一次", body = EnrolResponse), (status = 400, description = "请求格式错误", body = ErrorBody), (status = 403, description = "注册码无效、已过期或已被使用 (bad_code)", body = ErrorBody), (status = 409, description = "设备已注册或已停用", body = ErrorBody), (status = 413, description = "请求过大", body = ErrorBody), (status = 429, description = "输错次数过多，稍后再试", body = ErrorBody)))]
async fn enrol(
    State(s): State<Storage>,
    axum::Extension(options): axum::Extension<Arc<ApiOptions>>,
    peer: Peer,
    headers: HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> Result<Json<EnrolResponse>, ApiError> {
    let check = |b: &EnrolBody| {
        if b.code.len() > 40 || b.device_name.chars().count() > 60 || b.proof.as_ref().is_some_and(|p| p.len() > 200) {
            return Err(ApiError::bad_request("注册码或设备名称过长"));
        }
        Ok((b.protocol, None))
    };
    let st = s.clone();
    let run = move |b: EnrolBody| st.enrol(&b.code, b.device_id, &b.device_name, b.proof.as_deref());
    guarded(s, options, peer, &headers, body, ("注册码", "bad_code"), check, run).await
}

#[derive(Serialize, utoipa::ToSchema)]
struct Me {
    device_id: Uuid,
    name: String,
    scope: zoufang_model::Scope,
    role: zoufang_model::Role,
    /// Revoked for handover: upload what is left, call `/v1/handover`, wipe.
    handover: bool,
}

#[utoipa::path(get, path = "/v1/me", tag = "devices", security(("token" = [])), responses((status = 200, description = "本机的身份、角色与范围", body = Me), (status = 401, description = "令牌无效、缺失或已过期 (unauthorized, token_expired)", body = ErrorBody), (status = 403, description = "本机已停用 (revoked, handover) 或无此权限", body = ErrorBody)))]
async fn me(State(s): State<Storage>, headers: HeaderMap) -> Result<Json<Me>, ApiError> {
    let d = auth(&s, &headers).await?;
    Ok(Json(Me { device_id: d.id, name: d.name, scope: d.scope, role: d.role, handover: d.handover_from.is_some() }))
}

#[utoipa::path(post, path = "/v1/login", tag = "devices", request_body = LoginRequest, responses((status = 200, description = "本机已按用户的角色与范围注册", body = EnrolResponse), (status = 400, description = "请求格式错误", body = ErrorBody), (status = 403, description = "用户名或密码错误 (bad_login)", body = ErrorBody), (status = 409, description = "设备已注册或已停用", body = ErrorBody), (status = 413, description = "请求过大", body = ErrorBody), (status = 429, description = "输错次数过多，稍后再试", body = ErrorBody)))]
/// Enrolment by signing in. Wrong passwords count against the address like wrong codes.
async fn login(
    State(s): State<Storage>,
    axum::Extension(options): axum::Extension<Arc<ApiOptions>>,
    peer: Peer,
    headers: HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> Result<Json<EnrolResponse>, ApiError> {
    let check = |b: &LoginRequest| {
        if b.login.len() > 40
            || b.password.len() > 200
            || b.device_name.chars().count() > 60
            || b.proof.as_ref().is_some_and(|p| p.len() > 200)
        {
            return Err(ApiError::bad_request("用户名、密码或设备名称过长"));
        }
        Ok((b.protocol, Some(b.login.clone())))
    };
    let st = s.clone();
    guarded(s, options, peer, &headers, body, ("用户名或密码", "bad_login"), check, move |b: LoginRequest| {
        st.login(&b)
    })
    .await
}

/// Whether the calling device may enrol `role` at `scope`: its role allows it and the scope lies inside
/// its own. Answers 403 with the reason otherwise.
async fn may_enrol(s: &Storage, by: &DeviceAuth, role: Role, scope: &Scope) -> Result<(), ApiError> {
    let forbidden = |why: String| ApiError::new(StatusCode::FORBIDDEN, "forbidden", why);
    if by.handover_from.is_some() {
        return Err(forbidden("本机已停用，不能再登记设备或用户".into()));
    }
    if !by.role.may_enrol(role) {
        return Err(forbidden(format!("{}不能登记{}", by.role.label(), role.label())));
    }
    let code = match scope {
        Scope::Village(v) => {
            let (st, v) = (s.clone(), *v);
            blocking(move || st.village_code(v)).await?
        }
        _ => None,
    };
    if !by.scope.covers(scope, code.as_deref()) {
        return Err(forbidden(format!("{scope} 不在本机的工作范围（{}）内", by.scope)));
    }
    Ok(())
}

#[utoipa::path(post, path = "/v1/enrol-codes", tag = "devices", security(("token" = [])), request_body = CodeRequest, responses((status = 200, description = "一次性注册码", body = CodeResponse), (status = 400, description = "请求格式错误或角色与范围不符", body = ErrorBody), (status = 401, description = "令牌无效、缺失或已过期 (unauthorized, token_expired)", body = ErrorBody), (status = 403, description = "本机已停用 (revoked, handover) 或无此权限", body = ErrorBody), (status = 413, description = "请求过大", body = ErrorBody)))]
/// Township staff and the county office issue enrolment codes for devices inside their scope.
async fn issue_code(
    State(s): State<Storage>,
    headers: HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> Result<Json<CodeResponse>, ApiError> {
    let by = auth(&s, &headers).await?;
    let req: CodeRequest = parse(body)?;
    if !(1..=720).contains(&req.ttl_hours) || req.device_name.trim().is_empty() || req.device_name.chars().count() > 60
    {
        return Err(ApiError::bad_request("设备名称须为 1–60 个字，注册码有效期须为 1–720 小时"));
    }
    may_enrol(&s, &by, req.role, &req.scope).await?;
    let ttl = req.ttl_hours;
    let code = blocking(move || {
        s.create_enrol_code_for(req.device_name.trim(), &req.scope, req.role, ttl, crate::storage::TOKEN_DAYS)
    })
    .await?;
    tracing::info!("device {} ({}) issued an enrolment code", by.id, by.name);
    Ok(Json(CodeResponse { code, ttl_hours: ttl }))
}

#[utoipa::path(post, path = "/v1/users", tag = "devices", security(("token" = [])), request_body = UserRequest, responses((status = 200, description = "用户已添加", body = Object), (status = 400, description = "请求格式错误、密码过短或角色与范围不符", body = ErrorBody), (status = 401, description = "令牌无效、缺失或已过期 (unauthorized, token_expired)", body = ErrorBody), (status = 403, description = "本机已停用 (revoked, handover) 或无此权限", body = ErrorBody), (status = 409, description = "登录名已被使用", body = ErrorBody), (status = 413, description = "请求过大", body = ErrorBody)))]
/// Township staff and the county office add users inside their scope.
async fn add_user(
    State(s): State<Storage>,
    headers: HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> Result<Json<serde_json::Value>, ApiError> {
    let by = auth(&s, &headers).await?;
    let req: UserRequest = parse(body)?;
    if req.password.len() > 200 {
        return Err(ApiError::bad_request("密码过长"));
    }
    may_enrol(&s, &by, req.role, &req.scope).await?;
    let id = blocking(move || s.create_user(&req.login, &req.name, req.role, &req.scope, &req.password)).await?;
    Ok(Json(serde_json::json!({ "id": id })))
}

#[utoipa::path(post, path = "/v1/handover", tag = "devices", security(("token" = [])), responses((status = 200, description = "已上交；本机随后清除数据", body = Object), (status = 400, description = "本机未被停用", body = ErrorBody), (status = 401, description = "令牌无效、缺失或已过期 (unauthorized, token_expired)", body = ErrorBody), (status = 403, description = "本机已停用 (revoked, handover) 或无此权限", body = ErrorBody)))]
/// A device revoked for handover reports that it has uploaded what it held; it wipes itself next.
async fn handover(State(s): State<Storage>, headers: HeaderMap) -> Result<Json<serde_json::Value>, ApiError> {
    let d = auth(&s, &headers).await?;
    if d.handover_from.is_none() {
        return Err(ApiError::bad_request("本机未被停用，无需上交"));
    }
    blocking(move || s.handover_done(&d)).await?;
    Ok(Json(serde_json::json!({ "handed_in": true })))
}

/// The county whose sealing key a device may use: inspectors and the county office, in their county.
fn sealing_county(d: &DeviceAuth) -> Result<String, ApiError> {
    match (&d.scope, d.role) {
        (Scope::County(c), Role::Inspector | Role::County) => Ok(c.clone()),
        _ => Err(ApiError::new(StatusCode::FORBIDDEN, "forbidden", format!("{}不使用暗访密封公钥", d.role.label()))),
    }
}

#[utoipa::path(get, path = "/v1/sealing-key", tag = "inspections", security(("token" = [])), responses((status = 200, description = "本县县扶贫办的密封公钥", body = SealingKeyInfo), (status = 401, description = "令牌无效、缺失或已过期 (unauthorized, token_expired)", body = ErrorBody), (status = 403, description = "本机已停用 (revoked, handover) 或无此权限", body = ErrorBody), (status = 404, description = "县扶贫办尚未设置公钥 (no_sealing_key)", body = ErrorBody)))]
/// Inspectors' devices fetch the key they seal 暗访 findings to.
async fn sealing_key_get(State(s): State<Storage>, headers: HeaderMap) -> Result<Json<SealingKeyInfo>, ApiError> {
    let d = auth(&s, &headers).await?;
    let county = sealing_county(&d)?;
    let c = county.clone();
    let found = blocking(move || s.sealing_key(&c)).await?;
    let (key, set_at) = found.ok_or_else(|| {
        ApiError::new(StatusCode::NOT_FOUND, "no_sealing_key", "县扶贫办尚未设置暗访密封公钥，暂不能密封暗访记录")
    })?;
    let fingerprint = key.parse::<zoufang_vault::SealingKey>().map(|k| k.fingerprint()).unwrap_or_default();
    Ok(Json(SealingKeyInfo { county, key, fingerprint, set_at }))
}

#[utoipa::path(put, path = "/v1/sealing-key", tag = "inspections", security(("token" = [])), request_body = SealingKeyBody, responses((status = 200, description = "公钥已保存", body = SealingKeyInfo), (status = 400, description = "请求格式错误或不是有效的公钥", body = ErrorBody), (status = 401, description = "令牌无效、缺失或已过期 (unauthorized, token_expired)", body = ErrorBody), (status = 403, description = "本机已停用 (revoked, handover) 或无此权限", body = ErrorBody), (status = 413, description = "请求过大", body = ErrorBody)))]
/// The county office sets the public key inspections are sealed to (its private key stays with it).
async fn sealing_key_put(
    State(s): State<Storage>,
    headers: HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> Result<Json<SealingKeyInfo>, ApiError> {
    let d = auth(&s, &headers).await?;
    let county = sealing_county(&d)?;
    if d.role != Role::County || d.handover_from.is_some() {
        return Err(ApiError::new(
            StatusCode::FORBIDDEN,
            "forbidden",
            format!("{}不能设置暗访密封公钥", d.role.label()),
        ));
    }
    let req: SealingKeyBody = parse(body)?;
    let key: zoufang_vault::SealingKey =
        req.key.parse().map_err(|e: zoufang_vault::VaultError| ApiError::bad_request(e.to_string()))?;
    let (text, c, by) = (key.to_string(), county.clone(), d.id);
    blocking(move || s.set_sealing_key(&c, &text, by)).await?;
    tracing::info!("device {} ({}) set the sealing key of county {county}: {}", d.id, d.name, key.fingerprint());
    Ok(Json(SealingKeyInfo {
        county,
        key: key.to_string(),
        fingerprint: key.fingerprint(),
        set_at: chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
    }))
}

#[utoipa::path(post, path = "/v1/push", tag = "sync", security(("token" = [])), request_body = PushRequest, responses((status = 200, description = "每条修改的结果；越权或超出范围的修改逐条拒收，其余照常保存", body = PushResponse), (status = 400, description = "请求格式错误或协议版本不符", body = ErrorBody), (status = 401, description = "令牌无效、缺失或已过期 (unauthorized, token_expired)", body = ErrorBody), (status = 403, description = "本机已停用 (revoked, handover) 或无此权限", body = ErrorBody), (status = 409, description = "整批拒收：历史链接缺失或对不上 (history_mismatch)，修改时间早于本机此前已上传的修改 (clock_backwards)，或比服务器时钟快一小时以上 (clock_ahead：按 /v1/health 的 time_ms 校正后重发)", body = ErrorBody), (status = 413, description = "请求过大或一批超过 5000 条", body = ErrorBody)))]
async fn push(
    State(s): State<Storage>,
    headers: HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> Result<Json<PushResponse>, ApiError> {
    let device = auth(&s, &headers).await?;
    let req: PushRequest = parse(body)?;
    blocking(move || s.push(&device, req)).await.map(Json)
}

#[derive(Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
struct PullQuery {
    #[serde(default)]
    after: u64,
    limit: Option<usize>,
}

#[utoipa::path(get, path = "/v1/pull", tag = "sync", security(("token" = [])), params(PullQuery), responses((status = 200, description = "本机范围与角色可见的修改，一页", body = PullResponse, headers(("zoufang-cursor" = u64, description = "下一页的起点（同响应体的 cursor）"), ("zoufang-more" = bool, description = "是否还有下一页（同响应体的 more）"))), (status = 400, description = "查询参数错误", body = ErrorBody), (status = 401, description = "令牌无效、缺失或已过期 (unauthorized, token_expired)", body = ErrorBody), (status = 403, description = "本机已停用 (revoked, handover) 或无此权限", body = ErrorBody)))]
async fn pull(
    State(s): State<Storage>,
    headers: HeaderMap,
    q: Result<Query<PullQuery>, axum::extract::rejection::QueryRejection>,
) -> Result<impl IntoResponse, ApiError> {
    let device = auth(&s, &headers).await?;
    if device.handover_from.is_some() {
        return Err(ApiError::new(
            StatusCode::FORBIDDEN,
            zoufang_sync::refusal::HANDOVER,
            "本机已停用：请先上交尚未同步的数据，随后本机数据将被清除",
        ));
    }
    let Query(q) = q.map_err(|e| ApiError::bad_request(format!("查询参数错误：{e}")))?;
    if q.after > i64::MAX as u64 {
        return Err(ApiError::bad_request(format!("查询参数错误：after 超出范围（{}）", q.after)));
    }
    let limit = q.limit.unwrap_or(5000);
    let page = blocking(move || s.pull(&device, q.after, limit)).await?;
    // Where the next page starts, also in headers: a device can ask for it before reading this one.
    Ok((
        [
            (axum::http::header::CONTENT_TYPE, "application/json".to_string()),
            (HeaderName::from_static(zoufang_sync::NEXT_CURSOR_HEADER), page.cursor.to_string()),
            (HeaderName::from_static(zoufang_sync::MORE_HEADER), page.more.to_string()),
        ],
        page.json,
    ))
}

/// What the calling device may do with a photo file (see `access::file_rights`): upload it when a
/// record it may read names it, read it when the first record to name it is one it may read (or its
/// village showed it holds the bytes); a device revoked for handover reads none. Unknown and forbidden
/// files get the same answer, so a device cannot probe for other villages' photos.
async fn blob_auth(s: &Storage, headers: &HeaderMap, hash: &str) -> Result<(DeviceAuth, FileRights), ApiError> {
    let device = auth(s, headers).await?;
    let (st, h, d) = (s.clone(), hash.to_string(), device.clone());
    let rights = blocking(move || st.file_rights(&d, &h)).await?;
    Ok((device, rights))
}

fn blob_unknown() -> ApiError {
    ApiError::new(
        StatusCode::NOT_FOUND,
        "blob_unknown",
        "服务器上没有本机可见的照片记录使用这张照片：请先同步记录，再上传或下载照片",
    )
}

#[utoipa::path(get, path = "/v1/blobs/{hash}/upload", tag = "photos", security(("token" = [])), params(("hash" = String, Path, description = "照片文件的 SHA-256（64 位十六进制）")), responses((status = 200, description = "服务器已收到的字节数", body = BlobStatus), (status = 400, description = "哈希格式错误", body = ErrorBody), (status = 401, description = "令牌无效、缺失或已过期 (unauthorized, token_expired)", body = ErrorBody), (status = 403, description = "本机已停用 (revoked, handover) 或无此权限", body = ErrorBody), (status = 404, description = "本机可见的记录里没有这张照片", body = ErrorBody)))]
async fn blob_status(
    State(s): State<Storage>,
    axum::Extension(blobs): axum::Extension<BlobStore>,
    axum::extract::Path(hash): axum::extract::Path<String>,
    headers: HeaderMap,
) -> Result<Json<BlobStatus>, ApiError> {
    let (device, rights) = blob_auth(&s, &headers, &hash).await?;
    if !rights.upload {
        return Err(blob_unknown());
    }
    let status = blobs.status(&hash).await?;
    if status.complete && !rights.read {
        // The file is here, named first by a record this device may not read: it may still show it
        // holds the bytes by uploading them.
        return Ok(Json(blobs.proof_status(&hash, device.id).await?));
    }
    Ok(Json(status))
}

#[derive(Deserialize, utoipa::IntoParams)]
struct ChunkQuery {
    offset: u64,
    size: u64,
}

#[utoipa::path(put, path = "/v1/blobs/{hash}/upload", tag = "photos", security(("token" = [])), params(("hash" = String, Path, description = "照片文件的 SHA-256"), ChunkQuery), request_body(content = Vec<u8>, content_type = "application/octet-stream", description = "从 offset 起的一块（最多 512 KB）"), responses((status = 200, description = "收下后服务器已有的字节数", body = BlobStatus), (status = 400, description = "分块参数错误", body = ErrorBody), (status = 401, description = "令牌无效、缺失或已过期 (unauthorized, token_expired)", body = ErrorBody), (status = 403, description = "本机已停用 (revoked, handover) 或无此权限", body = ErrorBody), (status = 404, description = "本机可见的记录里没有这张照片", body = ErrorBody), (status = 409, description = "位置与服务器已有的不符，请重新询问", body = ErrorBody), (status = 413, description = "分块或文件过大", body = ErrorBody), (status = 422, description = "整个文件的哈希不符，已丢弃", body = ErrorBody)))]
async fn blob_put(
    State(s): State<Storage>,
    axum::Extension(blobs): axum::Extension<BlobStore>,
    axum::extract::Path(hash): axum::extract::Path<String>,
    query: Result<Query<ChunkQuery>, axum::extract::rejection::QueryRejection>,
    headers: HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> Result<Json<BlobStatus>, ApiError> {
    let Query(q) = query.map_err(|e| ApiError::bad_request(format!("分块参数错误：{e}")))?;
    let (device, rights) = blob_auth(&s, &headers, &hash).await?;
    if !rights.upload {
        return Err(blob_unknown());
    }
    let body = body.map_err(|e| {
        if e.status() == StatusCode::PAYLOAD_TOO_LARGE {
            ApiError::new(
                StatusCode::PAYLOAD_TOO_LARGE,
                "body_too_large",
                format!("照片分块过大：每块最多 {} KB", BLOB_CHUNK / 1024),
            )
        } else {
            ApiError::bad_request(format!("无法读取照片分块：{e}"))
        }
    })?;
    let (status, finished) = if rights.read {
        blobs.put_chunk(&hash, q.size, q.offset, body).await?
    } else {
        match blobs.put_chunk(&hash, q.size, q.offset, body.clone()).await? {
            (s, _) if s.complete => blobs.put_proof_chunk(&hash, device.id, q.size, q.offset, body).await?,
            first_upload => first_upload,
        }
    };
    if finished {
        // This device sent bytes matching the name: its village's records naming the file hold it.
        blocking(move || s.prove_file(&device, &hash)).await?;
    }
    Ok(Json(status))
}

#[utoipa::path(get, path = "/v1/blobs/{hash}", tag = "photos", security(("token" = [])), params(("hash" = String, Path, description = "照片文件的 SHA-256")), responses((status = 200, description = "照片文件", content_type = "image/jpeg", body = Vec<u8>), (status = 400, description = "哈希格式错误", body = ErrorBody), (status = 401, description = "令牌无效、缺失或已过期 (unauthorized, token_expired)", body = ErrorBody), (status = 403, description = "本机已停用 (revoked, handover) 或无此权限", body = ErrorBody), (status = 404, description = "没有这张照片，或本机不可见", body = ErrorBody)))]
async fn blob_get(
    State(s): State<Storage>,
    axum::Extension(blobs): axum::Extension<BlobStore>,
    axum::extract::Path(hash): axum::extract::Path<String>,
    headers: HeaderMap,
) -> Result<impl IntoResponse, ApiError> {
    if !blob_auth(&s, &headers, &hash).await?.1.read {
        return Err(blob_unknown());
    }
    match blobs.get(&hash).await? {
        Some(bytes) => Ok(([(axum::http::header::CONTENT_TYPE, "image/jpeg")], bytes)),
        None => Err(ApiError::new(StatusCode::NOT_FOUND, "blob_not_uploaded", "这张照片尚未上传完成，请稍后再试")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn headers(xff: &[&str]) -> HeaderMap {
        let mut h = HeaderMap::new();
        for v in xff {
            h.append("x-forwarded-for", v.parse().unwrap());
        }
        h
    }

    #[test]
    fn the_client_address_comes_from_trusted_proxies_only() {
        let opts = ApiOptions::with_trusted_proxies("127.0.0.1, 10.0.0.0/8").unwrap();
        let ip = |s: &str| s.parse::<std::net::IpAddr>().unwrap();
        let trusted = &opts.trusted_proxies;
        // Straight from a client: its own address, whatever it writes in the header.
        assert_eq!(client_addr(ip("198.51.100.2"), &headers(&["1.2.3.4"]), trusted), ip("198.51.100.2"));
        // Through the proxy: the right-most address the proxies did not add.
        assert_eq!(client_addr(ip("127.0.0.1"), &headers(&["198.51.100.2"]), trusted), ip("198.51.100.2"));
        assert_eq!(
            client_addr(ip("127.0.0.1"), &headers(&["192.0.2.99, 198.51.100.2", "10.1.2.3"]), trusted),
            ip("198.51.100.2"),
            "a forged entry on the left is never reached"
        );
        // A proxy that forwarded nothing, or garbage: the proxy stands for the client.
        assert_eq!(client_addr(ip("127.0.0.1"), &headers(&[]), trusted), ip("127.0.0.1"));
        assert_eq!(client_addr(ip("10.0.0.5"), &headers(&["not-an-address"]), trusted), ip("10.0.0.5"));
        assert!(ApiOptions::with_trusted_proxies("10.0.0.0/33").unwrap_err().contains("无法识别的代理地址"));
        assert!(ApiOptions::with_trusted_proxies("").unwrap().trusted_proxies.is_empty());
    }
}
