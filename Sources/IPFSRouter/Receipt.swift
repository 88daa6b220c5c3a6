import Foundation

/// What happened to one operation: who served it, who was tried and why they did not.
public struct Receipt: Sendable, Equatable, Codable, CustomStringConvertible {
    public struct Attempt: Sendable, Equatable, Codable {
        public enum Outcome: Sendable, Equatable, Codable {
            case served
            /// The backend answered that it does not have the content (not a failure).
            case notFound
            /// The backend was asked and failed (unreachable, timeout, error).
            case failed(String)
            /// The backend was not asked (unavailable or disabled).
            case skipped(String)
        }
        public var backend: String
        /// Why this backend was in the candidate list (e.g. `IPFS_BACKEND=kubo`, `auto`).
        public var selectedBy: String
        public var outcome: Outcome
        public var seconds: Double
    }

    public var operation: String
    public var servedBy: String?
    public var attempts: [Attempt]

    /// True when the answer did not come from the first-choice backend.
    public var degraded: Bool {
        guard let served = servedBy, let first = attempts.first else { return false }
        return first.backend != served
    }

    public var description: String {
        var parts = ["\(operation):"]
        if let s = servedBy { parts.append("served by \(s)\(degraded ? " (degraded)" : "")") } else { parts.append("not served") }
        let tried = attempts.map { a -> String in
            switch a.outcome {
            case .served: return "\(a.backend) ok [\(a.selectedBy)] \(String(format: "%.3f", a.seconds)) s"
            case .notFound: return "\(a.backend) not found [\(a.selectedBy)]"
            case .failed(let why): return "\(a.backend) failed [\(a.selectedBy)]: \(why)"
            case .skipped(let why): return "\(a.backend) skipped [\(a.selectedBy)]: \(why)"
            }
        }
        parts.append("tried: " + tried.joined(separator: "; "))
        return parts.joined(separator: " ")
    }
}

/// A result with its receipt.
public struct Routed<Value: Sendable>: Sendable {
    public var value: Value
    public var receipt: Receipt
}

/// The router's errors; each message says what to do about it.
public enum RouterError: Error, Sendable, CustomStringConvertible {
    case blankBackendName
    case unknownBackend(name: String, known: [String], source: String)
    case backendDisabled(name: String, reason: String, source: String)
    case invalidSetting(name: String, value: String, expected: String)
    case invalidCID(String, reason: String)
    case notFound(cid: String, receipt: Receipt)
    case allBackendsFailed(receipt: Receipt)
    case noBackends(operation: String)
    case factoryFailed(name: String, reason: String)

    public var description: String {
        switch self {
        case .blankBackendName:
            return "a backend name must not be blank"
        case .unknownBackend(let name, let known, let source):
            return "unknown IPFS backend '\(name)' (from \(source)); known backends: \(known.joined(separator: ", "))"
        case .backendDisabled(let name, let reason, let source):
            return "backend '\(name)' was requested by \(source) but is \(reason); unset one of them"
        case .invalidSetting(let name, let value, let expected):
            return "\(name)='\(value)' is not valid: expected \(expected)"
        case .invalidCID(let s, let reason):
            return "'\(s)' is not a CID: \(reason)"
        case .notFound(let cid, let receipt):
            return "\(cid) was not found on any backend (\(receipt))"
        case .allBackendsFailed(let receipt):
            return "every backend failed: \(receipt)"
        case .noBackends(let op):
            return "no backend is enabled for \(op); enable hf_cache (ENABLE_HF_CACHE=1) or configure kubo/ipfs_kit"
        case .factoryFailed(let name, let reason):
            return "backend '\(name)' could not be created: \(reason)"
        }
    }

    public var receipt: Receipt? {
        switch self {
        case .notFound(_, let r), .allBackendsFailed(let r): return r
        default: return nil
        }
    }
}

extension RouterError: LocalizedError {
    public var errorDescription: String? { description }
}
extension BackendError: LocalizedError {
    public var errorDescription: String? { description }
}
