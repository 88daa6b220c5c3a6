import Foundation
import Primitives

/// Primitives' `withTimeout`, expiring with the router's own `BackendError.timedOut`, which its
/// failover reads as "try the next backend".
public func withBackendTimeout<T: Sendable>(
    _ seconds: Double, what: String, _ operation: @escaping @Sendable () async throws -> T
) async throws -> T {
    try await withTimeout(seconds, expired: { BackendError.timedOut(seconds: seconds, what: what) }, operation)
}
