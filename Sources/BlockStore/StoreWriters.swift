import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// Writes in flight on a store that several processes share (the CLI beside `serve`, or several
/// `serve` processes on one store): content whose blocks are on disk but not yet recorded
/// anywhere (a pin, a hub commit, an LFS object). Garbage collection in another process sees
/// nothing referring to such blocks; the sessions tell it to spare them.
///
/// Each process with a session open keeps one file, `<store>/.writers/<nonce>`, holding the start
/// of its oldest open session (Unix seconds, decimal), rewritten every `heartbeat` seconds while
/// any is open and removed when none is. A file left unrefreshed for `staleAfter` seconds belongs to
/// a process that died and is ignored. Collection spares every block whose file was written, or
/// re-put (a put of a block already there refreshes its time), since the oldest live start less
/// `clockSkew` (a store on a network file system takes file times from the server's clock).
public final class StoreWriters: @unchecked Sendable {   // mutable state is guarded by `lock`
    public static let heartbeat: TimeInterval = 20
    public static let staleAfter: TimeInterval = 90
    public static let clockSkew: TimeInterval = 60

    private let directory: String
    private let file: String
    private let lock = NSLock()
    private var sessions: [UInt64: Date] = [:]
    private var nextID: UInt64 = 0
    private var timer: DispatchSourceTimer?

    init(storeRoot: String, nonce: UInt64) {
        directory = storeRoot + "/.writers"
        file = directory + "/\(String(nonce, radix: 16))"
    }

    deinit { timer?.cancel(); unlink(file) }

    /// Opens a session; the store spares what is written until it ends.
    public func begin() -> WriteSession {
        let id = lock.withLock { () -> UInt64 in
            nextID &+= 1
            sessions[nextID] = Date()
            if timer == nil {
                let t = DispatchSource.makeTimerSource(queue: .global(qos: .utility))
                t.schedule(deadline: .now() + Self.heartbeat, repeating: Self.heartbeat)
                t.setEventHandler { [weak self] in self?.publish() }
                t.resume()
                timer = t
            }
            return nextID
        }
        publish()
        return WriteSession { [weak self] in self?.end(id) }
    }

    private func end(_ id: UInt64) {
        lock.withLock {
            sessions[id] = nil
            if sessions.isEmpty { timer?.cancel(); timer = nil }
        }
        publish()
    }

    /// Writes the oldest open start to this process's file (temp file + rename, so a reader never
    /// sees half a number), or removes the file when no session is open. Under the lock, so two
    /// publishes cannot land out of order.
    private func publish() {
        lock.withLock {
            guard let oldest = sessions.values.min() else { unlink(file); return }
            _ = mkdir(directory, 0o755)
            let tmp = file + ".tmp"
            let text = String(format: "%.6f\n", oldest.timeIntervalSince1970)
            let fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o644)
            guard fd >= 0 else { return }
            let ok = text.utf8CString.withUnsafeBufferPointer { p in write(fd, p.baseAddress, p.count - 1) == p.count - 1 }
            close(fd)
            if !ok || rename(tmp, file) != 0 { unlink(tmp) }
        }
    }

    /// The time from which a collection starting `now` must spare blocks: the oldest start of a
    /// live session of any process less `clockSkew`, and never later than `now` itself (a session
    /// opened after this read writes blocks newer than `now`). Read before the live roots are.
    public static func collectionCutoff(storeRoot: String, now: Date = Date()) -> Date {
        let dir = storeRoot + "/.writers"
        var cutoff = now
        for name in (try? FileManager.default.contentsOfDirectory(atPath: dir)) ?? [] where !name.hasSuffix(".tmp") {
            let path = dir + "/" + name
            var st = stat()
            guard stat(path, &st) == 0,
                  now.timeIntervalSince1970 - Double(st.st_mtim.tv_sec) < staleAfter,
                  let text = try? String(contentsOfFile: path, encoding: .utf8),
                  let started = Double(text.trimmingCharacters(in: .whitespacesAndNewlines)) else { continue }
            cutoff = min(cutoff, Date(timeIntervalSince1970: started - clockSkew))
        }
        return cutoff
    }
}

/// One write in flight (see `StoreWriters`). Ends when `end()` is called or it is released.
public final class WriteSession: @unchecked Sendable {   // `onEnd` is taken once, under `lock`
    private let lock = NSLock()
    private var onEnd: (() -> Void)?

    public init(onEnd: (() -> Void)? = nil) { self.onEnd = onEnd }

    /// A session for stores that no other process collects (in memory).
    public static var none: WriteSession { WriteSession() }

    public func end() {
        let f = lock.withLock { () -> (() -> Void)? in defer { onEnd = nil }; return onEnd }
        f?()
    }

    deinit { onEnd?() }
}
