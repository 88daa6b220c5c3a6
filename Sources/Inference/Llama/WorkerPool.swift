import Foundation
import Synchronization

/// Persistent worker threads for the forward pass's parallel loops.
///
/// A decode step of a small model is a few hundred short parallel loops (one per matrix product
/// and per attention layer), each a few tens of microseconds of work. Waking dispatch's threads
/// for every one costs about as much as the work itself, so these workers stay awake, spinning on
/// a generation counter for a short while after each loop, and only then park on a condition.
/// The caller runs chunk 0 itself, so `threads` threads in all do the work.
///
/// One loop at a time: a second caller that finds the pool busy (another model, another request
/// thread) runs its loop on dispatch's threads instead of waiting.
final class WorkerPool: @unchecked Sendable {   // shared state is the atomics and `lock`-guarded fields
    /// Threads taking part in a loop, the caller included.
    let threads: Int

    /// Bumped once per loop; a worker that sees a new value runs its chunk of `job`.
    private let generation = Atomic<Int>(0)
    /// Workers that have not finished the current loop.
    private let unfinished = Atomic<Int>(0)
    /// Held by the caller for the duration of one loop.
    private let busy = Atomic<Bool>(false)
    /// The loop body and its chunk count; written before `generation` is bumped, read after.
    private var job: ((Int) -> Void)?
    private let lock = NSCondition()
    private var sleepers = 0   // guarded by lock

    /// How long an idle worker spins before parking: longer than the serial gaps between the
    /// loops of one decode step, far shorter than the gap between requests.
    private static let spinNanoseconds: UInt64 = 200_000

    /// The process-wide pool, one thread per core (at most 8).
    static let shared = WorkerPool(threads: max(1, min(ProcessInfo.processInfo.activeProcessorCount, 8)))

    init(threads: Int) {
        self.threads = max(1, threads)
        for index in 1..<self.threads {
            let t = Thread { [unowned self] in self.workerLoop(index: index) }
            t.name = "inference-worker-\(index)"
            t.stackSize = 1 << 20
            t.start()
        }
    }

    /// Runs `body(i)` for i in 0..<parts, part i on thread i, and returns when all are done.
    /// `parts` must not exceed `threads`.
    func run(parts: Int, _ body: (Int) -> Void) {
        precondition(parts <= threads)
        if parts <= 1 { if parts == 1 { body(0) }; return }
        guard busy.compareExchange(expected: false, desired: true, ordering: .acquiring).exchanged else {
            nonisolated(unsafe) let work = body
            DispatchQueue.concurrentPerform(iterations: parts) { work($0) }
            return
        }
        defer { busy.store(false, ordering: .releasing) }
        // The closure does not escape: every worker has finished with it before this returns.
        withoutActuallyEscaping(body) { body in
            let workers = threads - 1
            job = { i in if i < parts { body(i) } }
            unfinished.store(workers, ordering: .relaxed)
            generation.add(1, ordering: .releasing)
            lock.lock()
            if sleepers > 0 { lock.broadcast() }
            lock.unlock()
            body(0)
            var spins = 0
            while unfinished.load(ordering: .acquiring) > 0 {
                spins += 1
                if spins > 10_000 { sched_yield() }
            }
            job = nil
        }
    }

    private func workerLoop(index: Int) {
        var seen = 0
        while true {
            var deadline: UInt64 = 0
            var spins = 0
            while generation.load(ordering: .acquiring) == seen {
                spins += 1
                guard spins & 1023 == 0 else { continue }
                let now = DispatchTime.now().uptimeNanoseconds
                if deadline == 0 { deadline = now + Self.spinNanoseconds; continue }
                guard now > deadline else { continue }
                lock.lock()
                sleepers += 1
                while generation.load(ordering: .acquiring) == seen { lock.wait() }
                sleepers -= 1
                lock.unlock()
            }
            seen = generation.load(ordering: .acquiring)
            job?(index)
            unfinished.subtract(1, ordering: .releasing)
        }
    }
}

/// Splits `count` items over the worker threads (both cores here).
@inline(__always)
func parallelChunks(_ count: Int, threads: Int, _ body: (_ chunk: Int, _ range: Range<Int>) -> Void) {
    let pool = WorkerPool.shared
    let t = max(1, min(threads, count, pool.threads))
    if t == 1 { body(0, 0..<count); return }
    // Every chunk writes disjoint output rows; the closure never outlives this call.
    pool.run(parts: t) { i in body(i, (count * i / t)..<(count * (i + 1) / t)) }
}
