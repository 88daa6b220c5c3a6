import CoreMetrics
import Hummingbird

/// What the hub counts for its operator, through swift-metrics: `serve` hands it the model
/// server's Prometheus registry, so one `/metrics` scrape shows both faces of the process.
///
/// Labels stay few and bounded: a route is its template (`/{ns}/{name}/resolve/{rev}/{path+}`),
/// never a repo or a file, and a source is one the operator configured.
public struct HubMetrics: Sendable {
    let factory: any MetricsFactory

    /// Without a factory nothing is recorded (tests, commands that serve nothing).
    public init(factory: any MetricsFactory = NOOPMetricsHandler.instance) {
        self.factory = factory
    }

    /// `hub_requests_total{route,method,status,served_by}` and `hub_request_duration_seconds{route,method}`.
    /// The duration runs until the answer's head is ready: a download's body streams after it and is
    /// counted in bytes instead.
    func request(route: String, method: String, status: Int, servedBy: String, seconds: Double) {
        Counter(label: "hub_requests_total",
                dimensions: [("method", method), ("route", route), ("served_by", servedBy), ("status", String(status))],
                factory: factory).increment()
        CoreMetrics.Timer(label: "hub_request_duration_seconds", dimensions: [("method", method), ("route", route)],
                          factory: factory).recordNanoseconds(Int64(max(0, seconds) * 1e9))
    }

    /// `hub_sent_bytes_total{kind}`: file bytes written to clients (kind: file, lfs, gateway, pull_through).
    func sent(_ bytes: Int, kind: String) {
        Counter(label: "hub_sent_bytes_total", dimensions: [("kind", kind)], factory: factory).increment(by: bytes)
    }

    /// `hub_downloads_stopped_total{reason}`: bodies cut short, the client seeing fewer bytes than
    /// Content-Length (reason: corrupt_block for a block that failed its hash, else error).
    func downloadStopped(reason: String) {
        Counter(label: "hub_downloads_stopped_total", dimensions: [("reason", reason)], factory: factory).increment()
    }

    /// `hub_pull_throughs_total{source,outcome}` (outcome: stored, failed_verification, cut, not_stored)
    /// and, for stored copies, `hub_pull_through_bytes_total{source}`.
    func pullThrough(source: String, outcome: String, bytes: Int64 = 0) {
        Counter(label: "hub_pull_throughs_total", dimensions: [("outcome", outcome), ("source", source)], factory: factory).increment()
        if bytes > 0 {
            Counter(label: "hub_pull_through_bytes_total", dimensions: [("source", source)], factory: factory).increment(by: Int(bytes))
        }
    }
}

/// Counts every request of a hub route group. Mounted outermost, so refusals by authentication count too.
struct HubMetricsMiddleware: RouterMiddleware {
    typealias Context = HubRequestContext
    let metrics: HubMetrics

    func handle(_ request: Request, context: HubRequestContext,
                next: (Request, HubRequestContext) async throws -> Response) async throws -> Response {
        let started = ContinuousClock.now
        let route = context.endpointPath ?? "unmatched"
        do {
            let response = try await next(request, context)
            let servedBy = response.headers[.xSource] == nil ? "local" : "fallback"
            record(route, request, response.status.code, servedBy, started)
            return response
        } catch {
            record(route, request, (error as? any HTTPResponseError)?.status.code ?? 500, "local", started)
            throw error
        }
    }

    private func record(_ route: String, _ request: Request, _ status: Int, _ servedBy: String, _ started: ContinuousClock.Instant) {
        let elapsed = ContinuousClock.now - started
        let seconds = Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
        metrics.request(route: route, method: request.method.rawValue, status: status, servedBy: servedBy, seconds: seconds)
    }
}
