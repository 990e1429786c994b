/// A FHIR R4 `Bundle` of type `searchset`: one page of a search, with `link` `self` and, when
/// there is more, `next` (relative URLs; the next page is a new signed request for that URL).
public struct FHIRBundle<Resource: Codable & Sendable & Equatable>: Codable, Sendable, Equatable {
    public struct Link: Codable, Sendable, Equatable {
        public var relation: String
        public var url: String

        public init(relation: String, url: String) {
            self.relation = relation
            self.url = url
        }
    }

    public struct Entry: Codable, Sendable, Equatable {
        public struct Search: Codable, Sendable, Equatable {
            public var mode: String

            public init(mode: String) { self.mode = mode }
        }

        public var resource: Resource
        public var search: Search

        public init(resource: Resource, search: Search = Search(mode: "match")) {
            self.resource = resource
            self.search = search
        }
    }

    public var resourceType = "Bundle"
    public var type = "searchset"
    /// When the page was assembled (FHIR `instant`).
    public var timestamp: String?
    public var link: [Link]
    public var entry: [Entry]?

    public init(timestamp: String?, link: [Link], entry: [Entry]) {
        self.timestamp = timestamp
        self.link = link
        // FHIR forbids empty arrays: an empty page has no `entry` at all.
        self.entry = entry.isEmpty ? nil : entry
    }

    /// The `next` link's URL, if there is another page.
    public var next: String? { link.first { $0.relation == "next" }?.url }
}
