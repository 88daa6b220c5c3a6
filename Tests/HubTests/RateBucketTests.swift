import Foundation
import HubDatabase
import Testing

/// The shared token buckets behind the model server's rate limit on several processes.
@Suite struct RateBucketTests {
    @Test("Two processes draw from one bucket: its limit holds for both together, and it refills at limit per minute",
          arguments: Backend.available)
    func twoConnectionsShareOneBucket(backend: Backend) async throws {
        let (a, b) = try await backend.openTwice()
        let bucket = unique("key")
        let t0: Int64 = 1_800_000_000_000
        var allowed = 0
        for i in 0..<8 {
            let take = try await (i.isMultiple(of: 2) ? a : b).takeRateToken(bucket: bucket, limit: 6, nowMillis: t0)
            if take.allowed { allowed += 1 }
        }
        #expect(allowed == 6)
        // 6 per minute is one every 10 s: after 9.999 s still none, after 10 s one.
        #expect(try await a.takeRateToken(bucket: bucket, limit: 6, nowMillis: t0 + 9_999).allowed == false)
        let refilled = try await b.takeRateToken(bucket: bucket, limit: 6, nowMillis: t0 + 10_000)
        #expect(refilled.allowed)
        #expect(try await a.takeRateToken(bucket: bucket, limit: 6, nowMillis: t0 + 10_000).allowed == false)
        // A clock behind the last take refills nothing (it does not drain the bucket either).
        #expect(try await a.takeRateToken(bucket: bucket, limit: 6, nowMillis: t0 - 60_000).allowed == false)
        // Other buckets are untouched.
        #expect(try await a.takeRateToken(bucket: unique("other"), limit: 6, nowMillis: t0).allowed)
        await a.close()
        await b.close()
    }

    @Test("Concurrent takes from two processes never grant more than the bucket holds", arguments: Backend.available)
    func concurrentTakesAreSerialised(backend: Backend) async throws {
        let (a, b) = try await backend.openTwice()
        let bucket = unique("burst")
        let t0: Int64 = 1_800_000_000_000
        let granted = try await withThrowingTaskGroup(of: Bool.self) { group in
            for i in 0..<40 {
                let db = i.isMultiple(of: 2) ? a : b
                group.addTask { try await db.takeRateToken(bucket: bucket, limit: 10, nowMillis: t0).allowed }
            }
            var n = 0
            for try await ok in group where ok { n += 1 }
            return n
        }
        #expect(granted == 10)
        await a.close()
        await b.close()
    }
}
