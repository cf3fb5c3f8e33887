//! The query string of the management API's lists.
use serde::Deserialize;
use service_kit::paging::PageRequest;
use service_kit::ApiError;
use utoipa::IntoParams;

/// Keyset pagination.
#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct ListQuery {
    /// Page size, 1 to 100 (default 20).
    #[param(minimum = 1, maximum = 100)]
    pub limit: Option<u32>,
    /// The `next_after` of the previous page.
    pub after: Option<String>,
}

impl ListQuery {
    /// The page asked for; a size out of range is `invalid-input`.
    pub fn page(&self) -> Result<PageRequest, ApiError> {
        Ok(PageRequest::parse(self.limit, self.after.clone())?)
    }
}
