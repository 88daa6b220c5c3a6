import CoreMetrics
import Foundation
import Prometheus

/// The server's Prometheus metrics: the reference server's names (docs/seed-reference.md) and more,
/// recorded through swift-metrics into a registry of the server's own (no global bootstrap, so the
/// hub or tests can keep theirs).
public final class ServerMetrics: Sendable {
    public let registry: PrometheusCollectorRegistry
    private let factory: PrometheusMetricsFactory
    /// For other parts of the process to record into the same registry (serve's hub).
    public var metricsFactory: any MetricsFactory { factory }

    public init() {
        registry = PrometheusCollectorRegistry()
        var f = PrometheusMetricsFactory(registry: registry)
        f.defaultDurationHistogramBuckets = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60]
            .map { Duration.nanoseconds(Int64($0 * 1e9)) }
        f.valueHistogramBuckets = ["hf_server_batch_size": [1, 2, 4, 8, 16, 32, 64],
                                   "hf_server_tokens_per_request": [1, 4, 16, 64, 256, 1024, 4096]]
        factory = f
        // Series that exist from the start, so scrapers see them before the first request.
        gauge("hf_server_models_loaded", 0)
        gauge("hf_server_memory_used_mb", 0)
        gauge("hf_server_memory_limit_mb", 0)
        gauge("hf_server_queue_depth", 0)
        count("hf_server_cache_hits_total", ["cache_type": "response"], by: 0)
        count("hf_server_cache_misses_total", ["cache_type": "response"], by: 0)
        count("hf_server_cache_hits_total", ["cache_type": "model"], by: 0)
        count("hf_server_cache_misses_total", ["cache_type": "model"], by: 0)
    }

    private static func dims(_ labels: [String: String]) -> [(String, String)] {
        labels.sorted { $0.key < $1.key }.map { ($0.key, $0.value) }
    }

    public func count(_ name: String, _ labels: [String: String] = [:], by amount: Int = 1) {
        Counter(label: name, dimensions: Self.dims(labels), factory: factory).increment(by: amount)
    }

    public func gauge(_ name: String, _ labels: [String: String], _ value: Double) {
        Gauge(label: name, dimensions: Self.dims(labels), factory: factory).record(value)
    }

    public func seconds(_ name: String, _ labels: [String: String], _ value: Double) {
        CoreMetrics.Timer(label: name, dimensions: Self.dims(labels), factory: factory)
            .recordNanoseconds(Int64(max(0, value) * 1e9))
    }

    public func observe(_ name: String, _ labels: [String: String], _ value: Double) {
        Recorder(label: name, dimensions: Self.dims(labels), aggregate: true, factory: factory).record(value)
    }

    /// A generation the client left (stream closed or request cancelled) and that stopped early.
    func countCancelledGeneration(model: String) {
        count("hf_server_generations_cancelled_total", ["model": model, "reason": "client_disconnected"])
    }

    public func gauge(_ name: String, _ value: Double) { gauge(name, [:], value) }
    public func seconds(_ name: String, _ value: Double) { seconds(name, [:], value) }

    public func text() -> String { registry.emitToString() }
}
