import Foundation
import Primitives

extension HubServer {
    /// How long the database gets to answer a readiness check before the process reports not ready.
    static let readinessTimeout = 3.0

    /// nil when this process can serve the hub; otherwise why not, for `/ready` (a load balancer's
    /// check): the database must answer within `readinessTimeout` and the store's staging folder must
    /// be writable. Liveness (`/health`) stays up meanwhile: a restart would not bring a database back.
    public func readiness() async -> String? {
        let database = self.database
        do {
            try await withTimeout(Self.readinessTimeout, what: "the hub database's readiness check") {
                try await database.ping()
            }
        } catch {
            return "hub database: \(error)"
        }
        guard FileManager.default.isWritableFile(atPath: content.tmp.path) else {
            return "hub store: \(content.tmp.path) is not writable"
        }
        return nil
    }
}
