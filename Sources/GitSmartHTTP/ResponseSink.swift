/// Where an upload-pack response goes: either collected whole (the simple
/// `handle` API) or pushed to the HTTP layer in chunks as the pack is made
/// (`handleStreaming`), so a large clone need not sit in memory.
final class ResponseSink {
    typealias Emit = @Sendable ([UInt8]) async throws -> Void

    private var buffer: [UInt8] = []
    private let emit: Emit?
    private let threshold: Int
    /// Set while pack data is being multiplexed, so that a failure can be
    /// reported on the error band the client is already reading.
    var sideBandActive = false

    init(emit: Emit? = nil, threshold: Int = 256 * 1024) {
        self.emit = emit
        self.threshold = threshold
    }

    func write(_ bytes: [UInt8]) async throws {
        buffer += bytes
        if let emit, buffer.count >= threshold {
            let chunk = buffer
            buffer.removeAll(keepingCapacity: true)
            try await send(emit, chunk)
        }
    }

    private func send(_ emit: Emit, _ chunk: [UInt8]) async throws {
        do { try await emit(chunk) } catch { throw SinkWriteError(underlying: error) }
    }

    /// Sends what is left; in collecting mode returns the whole body.
    func finish() async throws -> [UInt8] {
        guard let emit else { return buffer }
        if !buffer.isEmpty {
            let chunk = buffer
            buffer.removeAll()
            try await send(emit, chunk)
        }
        return []
    }

    /// Reports a failure in-band: git shows "remote error: …" for an ERR
    /// packet, or the band-3 text once side-band output has begun.
    func fail(_ message: String) async throws {
        if sideBandActive {
            try await write(SideBand.frame(Array((message + "\n").utf8), band: .error))
        } else {
            try await write(PktLine.text("ERR " + message).bytes)
        }
    }
}

/// The HTTP layer failed to take our bytes (client went away): stop, and do
/// not try to tell the client about it.
struct SinkWriteError: Error {
    var underlying: any Error
}
