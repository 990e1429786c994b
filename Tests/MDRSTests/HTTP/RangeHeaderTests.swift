import MDRSProtocol
@testable import MDRSServer
import Testing

@Suite("Range header")
struct RangeHeaderTests {
    static let size: Int64 = 1000

    @Test("single ranges are served, cut at the end of the record")
    func satisfiable() throws {
        #expect(try RangeHeader.parse("bytes=0-99", size: Self.size) == 0...99)
        #expect(try RangeHeader.parse("bytes=900-", size: Self.size) == 900...999)
        #expect(try RangeHeader.parse("bytes=-100", size: Self.size) == 900...999)
        #expect(try RangeHeader.parse("bytes=-5000", size: Self.size) == 0...999)
        #expect(try RangeHeader.parse("bytes=990-5000", size: Self.size) == 990...999)
        // Numbers beyond 64 bits saturate instead of being refused.
        #expect(try RangeHeader.parse("bytes=0-99999999999999999999999999", size: Self.size) == 0...999)
        #expect(try RangeHeader.parse("bytes=-99999999999999999999999999", size: Self.size) == 0...999)
        #expect(try RangeHeader.parse("BYTES=0-0", size: Self.size) == 0...0)
    }

    @Test("optional whitespace around the value and commas is allowed, inside a range it is not")
    func whitespace() throws {
        #expect(try RangeHeader.parse(" bytes=0-9 ", size: Self.size) == 0...9)
        #expect(try RangeHeader.parse("bytes=0-9\t", size: Self.size) == 0...9)
        #expect(try RangeHeader.parse("bytes= 0-9", size: Self.size) == 0...9)
        #expect(try RangeHeader.parse("bytes=0-9 ,", size: Self.size) == 0...9)
        for ignored in ["bytes=0 -9", "bytes=0- 9", "bytes = 0-9", "bytes=- 9", "bytes=1 2-3"] {
            #expect(try RangeHeader.parse(ignored, size: Self.size) == nil, "\(ignored)")
        }
    }

    @Test("what does not parse is ignored: the whole record")
    func ignored() throws {
        for header in ["items=0-9", "bytes=a-b", "bytes=5-3", "bytes=0-9,20-29", "bytes=", "bytes=-", "bytes=--1", "bytes", "0-9", "bytes=+1-2"] {
            #expect(try RangeHeader.parse(header, size: Self.size) == nil, "\(header)")
        }
        #expect(try RangeHeader.parse(nil, size: Self.size) == nil)
    }

    @Test("past the end, or an empty suffix, is unsatisfiable")
    func unsatisfiable() {
        for header in ["bytes=1000-", "bytes=1000-2000", "bytes=-0", "bytes=99999999999999999999999-"] {
            #expect(throws: APIError.self, "\(header)") { try RangeHeader.parse(header, size: Self.size) }
        }
        #expect(throws: APIError.self) { try RangeHeader.parse("bytes=-1", size: 0) }
    }
}
