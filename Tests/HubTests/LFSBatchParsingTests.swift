import Foundation
import Testing
import Hub

/// The LFS batch request checks (Fuzz/Sources/FuzzLFSBatch drives the same entry points).
@Suite struct LFSBatchParsingTests {
    func objects(_ json: String) throws -> (objects: [LFSBatchObject], transfers: [String]) {
        let body = try JSONDecoder().decode(LFSBatchRequest.self, from: Data(json.utf8))
        return try LFSController.uploadObjects(body)
    }

    /// Regression (found writing the LFS batch fuzz target): a size near Int64.max overflowed
    /// `size + chunk - 1` and trapped the server; a size of a few EiB asked for billions of part URLs.
    @Test func hugeSizesAreRefusedPerObjectNotTrapped() throws {
        let oid = String(repeating: "ab", count: 32)
        let (objects, transfers) = try objects("""
            {"operation": "upload", "transfers": ["multipart"], "objects": [
              {"oid": "\(oid)", "size": 9223372036854775807}, {"oid": "\(oid)", "size": 4611686018427387904}]}
            """)
        #expect(transfers == ["multipart"])
        #expect(objects.count == 2)
        for object in objects {
            guard case .invalid(_, let size, let message) = object else { Issue.record("accepted \(object)"); continue }
            #expect(size > LFSController.maxObjectSize)
            #expect(message.contains("limit"))
        }
        #expect(LFSController.multipartUploadHeader(href: "h", query: "q", size: .max, transfers: ["multipart"]) == nil)
        #expect(LFSController.multipartPartCount(size: .max) == Int64.max / (16 << 20) + 1)
    }

    @Test func multipartPlanCoversTheObject() throws {
        let size = LFSController.maxObjectSize
        let header = try #require(LFSController.multipartUploadHeader(href: "h", query: "q", size: size, transfers: ["basic", "multipart"]))
        #expect(header.count == 10_001)  // chunk_size and 10000 parts
        #expect(header["10000"] == "h/10000?q")
        #expect(LFSController.multipartUploadHeader(href: "h", query: "q", size: 64 << 20, transfers: ["multipart"]) == nil)
        #expect(LFSController.multipartUploadHeader(href: "h", query: "q", size: 200 << 20, transfers: ["basic"]) == nil)
        #expect(LFSController.multipartPartCount(size: 0) == 0)
        #expect(LFSController.multipartPartCount(size: 16 << 20) == 1)
        #expect(LFSController.multipartPartCount(size: (16 << 20) + 1) == 2)
    }

    @Test func malformedObjectsGetAnErrorEntry() throws {
        let (objects, transfers) = try objects(#"{"objects": [{"oid": "xyz", "size": 1}, {"oid": "\#(String(repeating: "A", count: 64))"}, {}]}"#)
        #expect(transfers == ["basic"])
        #expect(objects.count == 3)
        for object in objects {
            guard case .invalid = object else { Issue.record("accepted \(object)"); continue }
        }
        #expect(throws: (any Error).self) { try self.objects(#"{"objects": 5}"#) }
    }
}
