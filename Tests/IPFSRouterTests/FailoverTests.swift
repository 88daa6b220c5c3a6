import Foundation
import IPFSRouter
import Testing

/// Per-operation failover and its receipts.
@Suite struct FailoverTests {
    let payload = Data("hello\n".utf8)

    func router(_ backends: [any IPFSBackend], env: [String: String] = [:]) throws -> BackendRouter {
        BackendRouter(settings: try settings(env), registry: try registry(backends))
    }

    @Test func anErroringBackendFailsOverAndTheReceiptSaysWhy() async throws {
        let broken = ScriptedBackend("broken", .fail("disk on fire"))
        let good = ScriptedBackend("hf_cache", .serve(payload))
        let r = try router([broken, good])
        let out = try await r.cat(helloCID, backend: "broken")
        #expect(out.value == payload)
        #expect(out.receipt.servedBy == "hf_cache")
        #expect(out.receipt.degraded)
        #expect(out.receipt.attempts.map(\.backend) == ["broken", "hf_cache"])
        #expect(out.receipt.attempts[0].outcome == .failed("disk on fire"))
        #expect(out.receipt.attempts[0].selectedBy == "explicit argument")
        #expect("\(out.receipt)".contains("broken failed"))
        #expect(broken.calls == 1)
    }

    @Test func aBackendThatHangsIsCutOffByTheTimeoutAndTheNextServes() async throws {
        let slow = ScriptedBackend("slow", .hang)
        let good = ScriptedBackend("hf_cache", .serve(payload))
        // The timeout is real (the hang ignores cancellation); it bounds the good backend's call too,
        // which answers at once, so 2 s leaves a slow machine room.
        let r = try router([slow, good], env: ["IPFS_ROUTER_TIMEOUT": "2"])
        defer { slow.release() }
        let out = try await r.cat(helloCID, backend: "slow")
        #expect(out.value == payload)
        // The hung call ends only at release(): the caller was answered while it still hung.
        #expect(slow.hangsEnded == 0)
        guard case .failed(let why) = out.receipt.attempts[0].outcome else { Issue.record("not failed"); return }
        #expect(why.contains("timed out after 2 s"), "\(why)")
        #expect(out.receipt.degraded)
    }

    @Test func everyBackendHangingStillAnswersWithinTheBound() async throws {
        let a = ScriptedBackend("a", .hang), b = ScriptedBackend("hf_cache", .hang)
        defer { a.release(); b.release() }
        let r = try router([a, b], env: ["IPFS_ROUTER_TIMEOUT": "0.3"])
        await #expect { try await r.addBytes(payload, backend: "a") } throws: { e in
            guard case RouterError.allBackendsFailed(let receipt) = e else { return false }
            return receipt.attempts.count == 2 && "\(e)".contains("timed out after 0.30 s")
        }
        #expect(a.hangsEnded == 0 && b.hangsEnded == 0)
    }

    @Test func notFoundIsNotAFailureTheNextBackendIsAsked() async throws {
        let empty = ScriptedBackend("empty", .notFound)
        let has = ScriptedBackend("hf_cache", .serve(payload))
        let out = try await router([empty, has]).cat(helloCID, backend: "empty")
        #expect(out.value == payload)
        #expect(out.receipt.attempts[0].outcome == .notFound)
    }

    @Test func onlyWhenEveryBackendSaysNoIsItNotFound() async throws {
        let r = try router([ScriptedBackend("a", .notFound), ScriptedBackend("hf_cache", .notFound)])
        do {
            _ = try await r.cat(helloCID, backend: "a")
            Issue.record("expected not found")
        } catch RouterError.notFound(let cid, let receipt) {
            #expect(cid == helloCID)
            #expect(receipt.attempts.map(\.outcome) == [.notFound, .notFound])
            #expect(receipt.servedBy == nil)
        }
    }

    @Test func aFailureAmongTheNoesIsReportedAsFailureNotAsNotFound() async throws {
        let r = try router([ScriptedBackend("a", .notFound), ScriptedBackend("hf_cache", .fail("io error"))])
        do {
            _ = try await r.cat(helloCID, backend: "a")
            Issue.record("expected failure")
        } catch RouterError.allBackendsFailed(let receipt) {
            #expect(receipt.attempts.count == 2)
            #expect("\(RouterError.allBackendsFailed(receipt: receipt))".contains("io error"))
        }
    }

    @Test func unavailableBackendsAreSkippedWithTheirReason() async throws {
        let down = ScriptedBackend("down", .unavailable("no Kubo RPC at http://127.0.0.1:1 (connection refused)"))
        let good = ScriptedBackend("hf_cache", .serve(payload))
        let out = try await router([down, good]).blockGet(helloCID, backend: "down")
        #expect(out.receipt.attempts[0].outcome == .skipped("no Kubo RPC at http://127.0.0.1:1 (connection refused)"))
        #expect(down.calls == 0)
    }

    @Test func disabledBuiltinsAreSkippedAndNamedInTheReceipt() async throws {
        let kit = ScriptedBackend("ipfs_kit", .serve(Data("kit".utf8)))
        let local = ScriptedBackend("hf_cache", .serve(payload))
        let out = try await router([kit, local], env: ["IPFS_KIT_DISABLE": "1"]).cat(helloCID)
        #expect(out.value == payload)
        #expect(out.receipt.attempts[0].outcome == .skipped("disabled by IPFS_KIT_DISABLE=1"))
        #expect(kit.calls == 0)
    }

    @Test func pathsAndGarbageAreRefusedBeforeAnyBackendSeesThem() async throws {
        let b = ScriptedBackend("hf_cache", .serve(payload))
        let r = try router([b])
        for bad in ["../../secret", "/etc/passwd", "", "Qm/../x", "bafy%2e%2e"] {
            await #expect(throws: RouterError.self) { try await r.cat(bad) }
        }
        #expect(b.calls == 0)
    }

    @Test func withNothingAvailableTheErrorListsEveryReason() async throws {
        let r = try router([ScriptedBackend("kubo", .unavailable("KUBO_CMD 'ipfs' is not an executable on PATH")),
                            ScriptedBackend("hf_cache", .unavailable("read-only"))])
        await #expect { try await r.addBytes(payload) } throws: { e in
            "\(e)".contains("KUBO_CMD 'ipfs'") && "\(e)".contains("read-only")
        }
    }
}
