//! Keyset pagination: a page size and the sort key to continue after.
pub const DEFAULT_PAGE_SIZE: u32 = 20;
pub const MAX_PAGE_SIZE: u32 = 100;

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
#[error("limit must be between 1 and {MAX_PAGE_SIZE}")]
pub struct PageSizeError;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PageRequest {
    limit: u32,
    after: Option<String>,
}

impl PageRequest {
    pub fn parse(limit: Option<u32>, after: Option<String>) -> Result<Self, PageSizeError> {
        let limit = limit.unwrap_or(DEFAULT_PAGE_SIZE);
        if !(1..=MAX_PAGE_SIZE).contains(&limit) {
            return Err(PageSizeError);
        }
        Ok(Self {
            limit,
            after: after.filter(|a| !a.is_empty()),
        })
    }

    pub fn limit(&self) -> u32 {
        self.limit
    }

    pub fn after(&self) -> Option<&str> {
        self.after.as_deref()
    }
}

/// One page of items and the cursor of the next page, if there is one.
#[derive(Debug, Clone)]
pub struct Page<T> {
    pub items: Vec<T>,
    pub next_after: Option<String>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn limits_outside_range_are_refused() {
        assert_eq!(PageRequest::parse(Some(0), None), Err(PageSizeError));
        assert_eq!(PageRequest::parse(Some(101), None), Err(PageSizeError));
        assert_eq!(PageRequest::parse(None, None).map(|p| p.limit()), Ok(20));
        assert_eq!(
            PageRequest::parse(Some(100), Some(String::new())).map(|p| p.after().is_none()),
            Ok(true)
        );
    }
}
