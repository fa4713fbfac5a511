//! A browser-like client of the admin UI: keeps cookies, reads CSRF tokens, logs in.

use super::TestApp;
use reqwest::header::{COOKIE, SET_COOKIE};
use reqwest::redirect::Policy;
use stagelab::db::models::users;
use stagelab::domain::password;

/// The password of [`app_with_user`]'s user.
pub const PASSWORD: &str = "correct horse battery";

/// A cookie-keeping client of the admin UI.
pub struct Browser {
    /// A client that does not follow redirects.
    pub client: reqwest::Client,
    /// `http://127.0.0.1:<port>`.
    pub base: String,
    /// Cookies the app set, by name.
    pub cookies: Vec<(String, String)>,
}

impl Browser {
    /// A session without cookies against `app`.
    pub fn new(app: &TestApp) -> Browser {
        let client = reqwest::Client::builder().redirect(Policy::none()).build().unwrap();
        Browser { client, base: app.address.clone(), cookies: Vec::new() }
    }

    /// Keeps the cookies a response sets (an empty value deletes one).
    pub fn remember(&mut self, response: &reqwest::Response) {
        for value in response.headers().get_all(SET_COOKIE) {
            let pair = value.to_str().unwrap().split(';').next().unwrap();
            let (name, value) = pair.split_once('=').unwrap();
            self.cookies.retain(|(n, _)| n != name);
            if !value.is_empty() {
                self.cookies.push((name.to_string(), value.to_string()));
            }
        }
    }

    /// The `Cookie` header of the kept cookies.
    pub fn cookie_header(&self) -> String {
        self.cookies.iter().map(|(n, v)| format!("{n}={v}")).collect::<Vec<_>>().join("; ")
    }

    /// GET with the session's cookies: status, body, headers.
    pub async fn get(&mut self, path: &str) -> (u16, String, reqwest::header::HeaderMap) {
        let r =
            self.client.get(format!("{}{path}", self.base)).header(COOKIE, self.cookie_header()).send().await.unwrap();
        self.remember(&r);
        let (status, headers) = (r.status().as_u16(), r.headers().clone());
        (status, r.text().await.unwrap(), headers)
    }

    /// POST of a form with the session's cookies: status, body, headers.
    pub async fn post(&mut self, path: &str, form: &[(&str, &str)]) -> (u16, String, reqwest::header::HeaderMap) {
        let r = self
            .client
            .post(format!("{}{path}", self.base))
            .header(COOKIE, self.cookie_header())
            .form(form)
            .send()
            .await
            .unwrap();
        self.remember(&r);
        let (status, headers) = (r.status().as_u16(), r.headers().clone());
        (status, r.text().await.unwrap(), headers)
    }

    /// The value of a hidden `csrf_token` field in `html`.
    pub fn csrf(html: &str) -> String {
        let at =
            html.find("name=\"csrf_token\" value=\"").expect("a csrf field") + "name=\"csrf_token\" value=\"".len();
        html[at..at + 64].to_string()
    }

    /// Logs in through the login form (landing on `/experiments`).
    pub async fn login(&mut self, email: &str, password: &str) -> (u16, String, reqwest::header::HeaderMap) {
        let (_, html, _) = self.get("/login").await;
        let csrf = Self::csrf(&html);
        self.post(
            "/login",
            &[("email", email), ("password", password), ("csrf_token", &csrf), ("next", "/experiments")],
        )
        .await
    }
}

/// A form's fields as the pairs `post` takes.
pub fn form_of(v: &[(String, String)]) -> Vec<(&str, &str)> {
    v.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect()
}

/// An app with the shipped experiments and one user `ana@example.com` of `role`, password [`PASSWORD`].
pub async fn app_with_user(role: &str) -> TestApp {
    let app = TestApp::with_experiments().await;
    let hash = password::hash(PASSWORD).unwrap();
    let mut conn = app.pool.get().await.unwrap();
    users::insert(&mut conn, &users::NewUser { email: "ana@example.com", password_hash: &hash, role }).await.unwrap();
    app
}
