//! Container image references: `[registry/]repository[:tag][@digest]`.

/// A parsed image reference, borrowing the text it was parsed from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ImageRef<'a> {
    pub registry: Option<&'a str>,
    pub repository: &'a str,
    /// Byte range of the tag (after `:`) in the parsed text.
    pub tag: Option<std::ops::Range<usize>>,
    /// Byte range of the digest (after `@`) in the parsed text.
    pub digest: Option<std::ops::Range<usize>>,
    pub text: &'a str,
}

impl<'a> ImageRef<'a> {
    pub fn parse(text: &'a str) -> ImageRef<'a> {
        let (name_part, digest) = match text.find('@') {
            Some(at) => (&text[..at], Some(at + 1..text.len())),
            None => (text, None),
        };
        let last_slash = name_part.rfind('/');
        let tag = name_part
            .rfind(':')
            .filter(|&colon| last_slash.is_none_or(|slash| colon > slash))
            .map(|colon| colon + 1..name_part.len());
        let name_end = tag.as_ref().map_or(name_part.len(), |t| t.start - 1);
        let name = &name_part[..name_end];
        let (registry, repository) = match name.split_once('/') {
            Some((first, rest))
                if first.contains('.') || first.contains(':') || first == "localhost" =>
            {
                (Some(first), rest)
            }
            _ => (None, name),
        };
        ImageRef {
            registry,
            repository,
            tag,
            digest,
            text,
        }
    }

    pub fn tag(&self) -> Option<&'a str> {
        self.tag.clone().map(|r| &self.text[r])
    }

    /// True when pinned by a `sha256:` (or other algorithm) content digest.
    pub fn has_digest(&self) -> bool {
        self.digest
            .clone()
            .is_some_and(|r| self.text[r].contains(':'))
    }

    /// The name without tag or digest, as users write it.
    pub fn name(&self) -> &'a str {
        let end = self
            .tag
            .as_ref()
            .map(|t| t.start - 1)
            .or(self.digest.as_ref().map(|d| d.start - 1))
            .unwrap_or(self.text.len());
        &self.text[..end]
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_registry_tag_and_digest() {
        let r = ImageRef::parse("ghcr.io/org/app:1.2@sha256:abcd");
        assert_eq!(r.registry, Some("ghcr.io"));
        assert_eq!(r.repository, "org/app");
        assert_eq!(r.tag(), Some("1.2"));
        assert!(r.has_digest());
        assert_eq!(r.name(), "ghcr.io/org/app");

        let r = ImageRef::parse("localhost:5000/app");
        assert_eq!(r.registry, Some("localhost:5000"));
        assert_eq!(r.tag(), None);
        assert_eq!(r.name(), "localhost:5000/app");

        let r = ImageRef::parse("nginx");
        assert_eq!((r.registry, r.repository, r.tag()), (None, "nginx", None));

        let r = ImageRef::parse("library/redis:latest");
        assert_eq!(r.tag(), Some("latest"));
        assert_eq!(r.tag, Some(14..20));
    }
}
