import Foundation

/// Runs a command with a deadline: on expiry it is sent SIGTERM, then SIGKILL, and the caller gets
/// `BackendError.timedOut` (the seed's reference ran the Kubo CLI with no timeout at all).
struct ProcessRunner: Sendable {
    struct Output: Sendable { let status: Int32; let stdout: Data; let stderr: Data }

    /// Finds `command` on PATH unless it is a path already.
    static func resolve(_ command: String, environment: [String: String] = ProcessInfo.processInfo.environment) -> String? {
        let fm = FileManager.default
        if command.contains("/") { return fm.isExecutableFile(atPath: command) ? command : nil }
        for dir in (environment["PATH"] ?? "/usr/local/bin:/usr/bin:/bin").split(separator: ":") {
            let p = (String(dir) as NSString).appendingPathComponent(command)
            if fm.isExecutableFile(atPath: p) { return p }
        }
        return nil
    }

    static func run(_ executable: String, _ arguments: [String], timeout: Double) async throws -> Output {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = arguments
        process.standardInput = FileHandle.nullDevice
        let out = Pipe(), err = Pipe()
        process.standardOutput = out
        process.standardError = err
        let outData = LockedBox(Data()), errData = LockedBox(Data())
        let group = DispatchGroup()
        // Drain both pipes on their own threads so a chatty child never blocks on a full pipe.
        for (pipe, box) in [(out, outData), (err, errData)] {
            group.enter()
            Thread.detachNewThread {
                let d = pipe.fileHandleForReading.readDataToEndOfFile()
                box.set(d)
                group.leave()
            }
        }
        let what = ([(executable as NSString).lastPathComponent] + arguments.prefix(2)).joined(separator: " ")
        return try await withTimeout(timeout, what: what) {
            try await withTaskCancellationHandler {
                try await withCheckedThrowingContinuation { (c: CheckedContinuation<Output, any Error>) in
                    process.terminationHandler = { p in
                        group.notify(queue: .global()) {
                            c.resume(returning: Output(status: p.terminationStatus, stdout: outData.get(), stderr: errData.get()))
                        }
                    }
                    do { try process.run() } catch {
                        process.terminationHandler = nil
                        try? out.fileHandleForWriting.close()
                        try? err.fileHandleForWriting.close()
                        c.resume(throwing: BackendError.unavailable("cannot run \(executable): \(error.localizedDescription)"))
                    }
                }
            } onCancel: {
                guard process.isRunning else { return }
                process.terminate()
                let pid = process.processIdentifier
                DispatchQueue.global().asyncAfter(deadline: .now() + 2) { if process.isRunning { kill(pid, SIGKILL) } }
            }
        }
    }
}
