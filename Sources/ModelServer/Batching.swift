import Foundation
import Inference

/// What a batcher reports after each forward pass (for the batch-size metric).
typealias BatchObserver = @Sendable (_ kind: String, _ size: Int) -> Void

struct BatchingOptions: Sendable {
    var windowSeconds: Double
    var maxBatchSize: Int
    var tokenBudget: Int
    static let off = BatchingOptions(windowSeconds: 0, maxBatchSize: 1, tokenBudget: .max)
}

/// The waiting room of a batcher: callers wait in arrival order; the first to arrive while no
/// batch is running schedules `drain` on the model's queue after the batching window, and `drain`
/// takes batches with `nextBatch` until none is left. A caller cancelled while waiting leaves the
/// room with `CancellationError`; once taken into a batch it is the batch's to answer.
final class BatchQueue<Work: Sendable, Output: Sendable>: Sendable {
    struct Item: Sendable {
        let id: UInt64
        let work: Work
        let continuation: CheckedContinuation<Output, any Error>
    }
    private struct State: Sendable { var pending: [Item] = []; var running = false; var nextID: UInt64 = 0 }
    private let state = Locked(State())

    func submit(_ work: Work, window: Double, on queue: DispatchQueue, drain: @escaping @Sendable () -> Void) async throws -> Output {
        let id = state.withLock { s -> UInt64 in s.nextID += 1; return s.nextID }
        return try await withTaskCancellationHandler {
            try await withCheckedThrowingContinuation { c in
                let start = state.withLock { s -> Bool in
                    s.pending.append(Item(id: id, work: work, continuation: c))
                    if s.running { return false }
                    s.running = true
                    return true
                }
                if start { queue.asyncAfter(deadline: .now() + window, execute: drain) }
            }
        } onCancel: {
            let item = state.withLock { s -> Item? in
                guard let i = s.pending.firstIndex(where: { $0.id == id }) else { return nil }
                return s.pending.remove(at: i)
            }
            item?.continuation.resume(throwing: CancellationError())
        }
    }

    /// The next batch: waiting items from the front while `admits(taken, next)` (the first is
    /// always taken). Empty when none waits, which ends the drain: the next caller schedules one.
    func nextBatch(admits: ([Item], Item) -> Bool) -> [Item] {
        state.withLock { s in
            var taken: [Item] = []
            while let next = s.pending.first, taken.isEmpty || admits(taken, next) {
                taken.append(s.pending.removeFirst())
            }
            if taken.isEmpty { s.running = false }
            return taken
        }
    }
}

/// Concurrent embedding requests for one model gathered into one `embed` call. Work runs on the
/// model's own serial queue, never on the async executor, so HTTP keeps answering while the model
/// computes. A failing batch is re-run member by member, so one bad input fails only its caller.
final class EmbeddingBatcher: Sendable {
    private let waiting = BatchQueue<[String], [[Float]]>()
    private let model: any EmbeddingModel
    private let queue: DispatchQueue
    private let options: BatchingOptions
    private let observe: BatchObserver

    init(model: any EmbeddingModel, queue: DispatchQueue, options: BatchingOptions, observe: @escaping BatchObserver) {
        self.model = model
        self.queue = queue
        self.options = options
        self.observe = observe
    }

    func embed(_ texts: [String]) async throws -> [[Float]] {
        try await waiting.submit(texts, window: options.windowSeconds, on: queue) { self.drain() }
    }

    /// Runs on `queue`: takes batches until nothing is pending.
    private func drain() {
        while true {
            func cost(_ texts: [String]) -> Int { texts.reduce(0) { $0 + $1.utf8.count / 3 + 2 } }
            let batch = waiting.nextBatch { taken, next in
                taken.reduce(0) { $0 + $1.work.count } + next.work.count <= options.maxBatchSize
                    && taken.reduce(0) { $0 + cost($1.work) } + cost(next.work) <= options.tokenBudget
            }
            if batch.isEmpty { return }
            let all = batch.flatMap(\.work)
            observe("embedding", batch.count)
            do {
                let vectors = try model.embed(all)
                guard vectors.count == all.count else { throw ModelServerError.engine("the model returned \(vectors.count) vectors for \(all.count) texts") }
                var offset = 0
                for item in batch {
                    item.continuation.resume(returning: Array(vectors[offset..<offset + item.work.count]))
                    offset += item.work.count
                }
            } catch {
                if batch.count == 1 {
                    batch[0].continuation.resume(throwing: error)
                } else {
                    for item in batch {
                        item.continuation.resume(with: Result { try model.embed(item.work) })
                    }
                }
            }
        }
    }
}

/// One sequence to generate: a choice of a completion request.
struct GenerationJob: Sendable {
    var prompt: [Int]
    var parameters: GenerationParameters
    /// Called on the compute thread for each token; false stops this sequence (the caller left).
    var onToken: @Sendable (GeneratedToken) -> Bool
}

/// Concurrent generation requests for one model advanced together through `generateBatch`
/// (one batched forward pass per step), bounded by a batch size and a token budget.
final class GenerationBatcher: Sendable {
    private let waiting = BatchQueue<GenerationJob, GenerationResult>()
    private let model: any TextGenerationModel
    private let queue: DispatchQueue
    private let options: BatchingOptions
    private let observe: BatchObserver

    init(model: any TextGenerationModel, queue: DispatchQueue, options: BatchingOptions, observe: @escaping BatchObserver) {
        self.model = model
        self.queue = queue
        self.options = options
        self.observe = observe
    }

    func generate(_ job: GenerationJob) async throws -> GenerationResult {
        if let continuous = model as? any ContinuousBatchingModel { return try await generate(job, on: continuous) }
        return try await waiting.submit(job, window: options.windowSeconds, on: queue) { self.drain() }
    }

    /// Continuous batching: the model's own loop admits the job at its next step; a cancelled
    /// caller's sequence ends at the next token, freeing its slot.
    private func generate(_ job: GenerationJob, on model: any ContinuousBatchingModel) async throws -> GenerationResult {
        let cancelled = Locked(false)
        return try await withTaskCancellationHandler {
            try await withCheckedThrowingContinuation { c in
                model.submit(prompt: job.prompt, parameters: job.parameters, maxSequences: options.maxBatchSize,
                             onToken: { token in !cancelled.withLock { $0 } && job.onToken(token) },
                             observeBatch: { [observe] in observe("generation", $0) },
                             completion: { c.resume(with: $0) })
            }
        } onCancel: {
            cancelled.withLock { $0 = true }
        }
    }

    private func drain() {
        while true {
            func cost(_ job: GenerationJob) -> Int { job.prompt.count + job.parameters.maxTokens }
            let batch = waiting.nextBatch { taken, next in
                taken.count < options.maxBatchSize && taken.reduce(0) { $0 + cost($1.work) } + cost(next.work) <= options.tokenBudget
            }
            if batch.isEmpty { return }
            observe("generation", batch.count)
            if batch.count == 1 {
                let job = batch[0].work
                batch[0].continuation.resume(with: Result { try model.generate(prompt: job.prompt, parameters: job.parameters, onToken: job.onToken) })
                continue
            }
            let emitted = Locked([Bool](repeating: false, count: batch.count))
            do {
                let results = try model.generateBatch(prompts: batch.map(\.work.prompt), parameters: batch.map(\.work.parameters)) { i, token in
                    guard batch.indices.contains(i) else { return false }
                    emitted.withLock { $0[i] = true }
                    return batch[i].work.onToken(token)
                }
                guard results.count == batch.count else { throw ModelServerError.engine("the model returned \(results.count) results for \(batch.count) prompts") }
                for (item, result) in zip(batch, results) { item.continuation.resume(returning: result) }
            } catch {
                // Members that streamed nothing yet are re-run alone; the others share the failure.
                let sent = emitted.withLock { $0 }
                for (i, item) in batch.enumerated() {
                    if sent[i] {
                        item.continuation.resume(throwing: error)
                    } else {
                        let job = item.work
                        item.continuation.resume(with: Result { try model.generate(prompt: job.prompt, parameters: job.parameters, onToken: job.onToken) })
                    }
                }
            }
        }
    }
}
