import Foundation
import IPFSRouter

/// Failure injection for the router's failover: a backend that behaves a set way for every call.
/// (Success paths are exercised with the real backends; these only stand in for broken ones.)
final class ScriptedBackend: IPFSBackend, @unchecked Sendable {
    enum Behaviour: Sendable { case fail(String), hang, notFound, unavailable(String), serve(Data) }
    let name: String
    let behaviour: Behaviour
    private let lock = NSLock()
    private var _calls = 0
    var calls: Int { lock.withLock { _calls } }
    private var hung: [CheckedContinuation<Void, Never>] = []
    private var _hangsEnded = 0
    /// Hanging calls that have ended (by `release()` or the safety bound).
    var hangsEnded: Int { lock.withLock { _hangsEnded } }

    init(_ name: String, _ behaviour: Behaviour) {
        self.name = name
        self.behaviour = behaviour
    }

    func availability() async -> BackendAvailability {
        if case .unavailable(let why) = behaviour { return .unavailable(why) }
        return .available("scripted")
    }

    private func act<T>(_ value: T) async throws -> T {
        lock.withLock { _calls += 1 }
        switch behaviour {
        case .fail(let why): throw BackendError.failed(why)
        case .hang:
            // Ignores cancellation on purpose (like a stuck socket): the router must answer anyway.
            // Suspended on something that knows nothing of cancellation and ends only when the test
            // calls `release()`, so "the caller was answered first" needs no timing; the 10-minute
            // bound only keeps a router that waits for the hang from stalling the run forever.
            await withCheckedContinuation { (c: CheckedContinuation<Void, Never>) in
                lock.withLock { hung.append(c) }
                DispatchQueue.global().asyncAfter(deadline: .now() + 600) { [weak self] in self?.release() }
            }
            lock.withLock { _hangsEnded += 1 }
            return value
        case .notFound: throw BackendError.notFound("scripted")
        case .unavailable(let why): throw BackendError.unavailable(why)
        case .serve: return value
        }
    }
    /// Ends the calls hanging now.
    func release() {
        let waiting = lock.withLock { () -> [CheckedContinuation<Void, Never>] in
            defer { hung = [] }
            return hung
        }
        for c in waiting { c.resume() }
    }
    private var served: Data { if case .serve(let d) = behaviour { return d } else { return Data() } }

    func addBytes(_ data: Data, pin: Bool) async throws -> String { try await act("bafkreiscripted") }
    func cat(_ cid: String) async throws -> Data { try await act(served) }
    func catStream(_ cid: String, range: ByteRange?) async throws -> AsyncThrowingStream<Data, any Error> {
        let d = try await act(served)
        return AsyncThrowingStream { $0.yield(d); $0.finish() }
    }
    func pin(_ cid: String) async throws { try await act(()) }
    func unpin(_ cid: String) async throws { try await act(()) }
    func pins() async throws -> [String] { try await act([]) }
    func blockPut(_ data: Data, codec: String) async throws -> String { try await act("bafkreiscripted") }
    func blockGet(_ cid: String) async throws -> Data { try await act(served) }
    func addPath(_ path: String, recursive: Bool, pin: Bool, options: AddOptions) async throws -> String { try await act("bafkreiscripted") }
    func getToPath(_ cid: String, outputPath: String) async throws { try await act(()) }
    func ls(_ cid: String) async throws -> [LsEntry] { try await act([]) }
    func dagExport(_ cid: String) async throws -> AsyncThrowingStream<Data, any Error> {
        let d = try await act(served)
        return AsyncThrowingStream { $0.yield(d); $0.finish() }
    }
    func dagImport(_ car: Data, pinRoots: Bool) async throws -> [String] { try await act([]) }
}

/// A registry holding the given backends under their names.
func registry(_ backends: [any IPFSBackend]) throws -> BackendRegistry {
    let r = BackendRegistry()
    for b in backends { try r.register(b.name) { _ in b } }
    return r
}

func settings(_ env: [String: String]) throws -> RouterSettings {
    var e = env
    if e["HOME"] == nil { e["HOME"] = "/home/tester" }
    return try RouterSettings(environment: e)
}

/// "Hello, IPFS!" added with `ipfs add` defaults (ground truth: shared/vectors/unixfs/vectors.json).
let helloCID = "QmZaEQdUN9aj2UXzac2QHgDq5k2PHm6kMi17zJpRwwgKnm"

/// True for a backend's "not found" answer.
@Sendable func isNotFound(_ e: any Error) -> Bool {
    guard let b = e as? BackendError, case .notFound = b else { return false }
    return true
}
