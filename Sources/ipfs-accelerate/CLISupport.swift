import ArgumentParser
import BlockStore
import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// `--data-dir`, shared by every command that touches the store.
struct DataDirOptions: ParsableArguments {
    @Option(name: .customLong("data-dir"), help: "Data directory (default: IPFS_ACCELERATE_HOME, else $HF_HOME/ipfs_accelerate).")
    var dataDir: String?

    var directory: DataDirectory { DataDirectory(flag: dataDir) }
}

/// Runs a command body, turning any error into `Error: <message>` on stderr and exit code 1.
func reportingErrors(_ body: () throws -> Void) throws {
    do {
        try body()
        StandardOutput.shared.flush()
    } catch let e as ExitCode {
        StandardOutput.shared.flush()
        throw e
    } catch {
        StandardOutput.shared.flush()
        printError("Error: \(error)")
        throw ExitCode(1)
    }
}

func printError(_ message: String) {
    FileHandle.standardError.write(Data((message + "\n").utf8))
}

/// Buffered writes to stdout through write(2) (fast for cat / dag export, safe for pipes).
final class StandardOutput: @unchecked Sendable {
    static let shared = StandardOutput()
    private var buffer: [UInt8] = []

    func write(_ bytes: some Collection<UInt8>) throws {
        buffer.append(contentsOf: bytes)
        if buffer.count >= 1 << 20 { try drain() }
    }

    func line(_ s: String) {
        try? write(Array((s + "\n").utf8))
    }

    func flush() { try? drain() }

    private func drain() throws {
        var off = 0
        try buffer.withUnsafeBytes { buf in
            while off < buf.count {
                let n = Glibc.write(1, buf.baseAddress! + off, buf.count - off)
                if n < 0 {
                    if errno == EINTR { continue }
                    throw ValidationError("writing to stdout failed: \(String(cString: strerror(errno)))")
                }
                off += n
            }
        }
        buffer.removeAll(keepingCapacity: true)
    }
}

/// A one-line progress bar on stderr, only when stderr is a terminal and the input is large.
final class ProgressBar {
    private let total: UInt64
    private let enabled: Bool
    private var last = Date.distantPast

    init(total: UInt64, minimum: UInt64 = 32 << 20) {
        self.total = total
        enabled = isatty(2) == 1 && total >= minimum
    }

    func update(_ done: UInt64) {
        guard enabled else { return }
        let now = Date()
        guard now.timeIntervalSince(last) >= 0.1 || done >= total else { return }
        last = now
        let frac = total == 0 ? 1 : min(1, Double(done) / Double(total))
        let width = 30
        let filled = Int(frac * Double(width))
        let bar = String(repeating: "#", count: filled) + String(repeating: "-", count: width - filled)
        let line = String(format: "\r[%@] %6.1f / %.1f MiB %3d%%", bar, Double(done) / 1048576, Double(total) / 1048576, Int(frac * 100))
        FileHandle.standardError.write(Data(line.utf8))
    }

    func finish() {
        guard enabled else { return }
        FileHandle.standardError.write(Data("\r\u{1B}[K".utf8))
    }
}

/// Reads a file (or stdin for "-") completely.
func readAll(_ path: String) throws -> [UInt8] {
    if path == "-" { return [UInt8](FileHandle.standardInput.readDataToEndOfFile()) }
    guard let d = FileManager.default.contents(atPath: path) else {
        throw ValidationError("cannot read \(path): \(String(cString: strerror(errno)))")
    }
    return [UInt8](d)
}

/// Total bytes of regular files under `path` (for the progress bar).
func totalSize(_ path: String) -> UInt64 {
    var st = stat()
    guard lstat(path, &st) == 0 else { return 0 }
    if st.st_mode & S_IFMT == S_IFREG { return UInt64(st.st_size) }
    guard st.st_mode & S_IFMT == S_IFDIR, let e = FileManager.default.enumerator(atPath: path) else { return 0 }
    var total: UInt64 = 0
    while let sub = e.nextObject() as? String {
        if lstat(path + "/" + sub, &st) == 0 && st.st_mode & S_IFMT == S_IFREG { total += UInt64(st.st_size) }
    }
    return total
}
