//! The simulator playing Google Veo over loopback: the OAuth2 token endpoint
//! with its service-account grant, Veo on Vertex AI (with Cloud Storage
//! downloads) and on the Gemini API (with its redirecting file downloads), and
//! fault injection on each.

mod auth;
mod faults;
mod gemini;
mod support;
mod vertex;
