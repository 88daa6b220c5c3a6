import Foundation
import Primitives

/// Runs a command with a deadline: on expiry it is sent SIGTERM, then SIGKILL, and the caller gets
/// `BackendError.timedOut` (the seed's reference ran the Kubo CLI with no timeout at all).
struct ProcessRunner: Sendable {
    struct Output: Sendable { let status: Int32; let stdout: Data; let stderr: Data }

    /// The child and its pipes, shared with the threads that drain them and the cancel handler.
    private final class Child: @unchecked Sendable {
        let process = Process()
        let out = Pipe()
        let err = Pipe()
    }

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
        let child = Child()
        child.process.executableURL = URL(fileURLWithPath: executable)
        child.process.arguments = arguments
        child.process.standardInput = FileHandle.nullDevice
        child.process.standardOutput = child.out
        child.process.standardError = child.err
        let what = ([(executable as NSString).lastPathComponent] + arguments.prefix(2)).joined(separator: " ")
        return try await withBackendTimeout(timeout, what: what) {
            try await withTaskCancellationHandler {
                try await withCheckedThrowingContinuation { (c: CheckedContinuation<Output, any Error>) in
                    let outData = Locked(Data()), errData = Locked(Data())
                    let group = DispatchGroup()
                    group.enter()
                    group.enter()
                    child.process.terminationHandler = { p in
                        let status = p.terminationStatus
                        group.notify(queue: .global()) {
                            c.resume(returning: Output(status: status, stdout: outData.get(), stderr: errData.get()))
                        }
                    }
                    do { try child.process.run() } catch {
                        child.process.terminationHandler = nil
                        c.resume(throwing: BackendError.unavailable("cannot run \(executable): \(error.localizedDescription)"))
                        return
                    }
                    // Drain both pipes on their own threads so a chatty child never blocks on a full pipe.
                    Thread.detachNewThread {
                        outData.set(child.out.fileHandleForReading.readDataToEndOfFile())
                        group.leave()
                    }
                    Thread.detachNewThread {
                        errData.set(child.err.fileHandleForReading.readDataToEndOfFile())
                        group.leave()
                    }
                }
            } onCancel: {
                guard child.process.isRunning else { return }
                child.process.terminate()
                let pid = child.process.processIdentifier
                DispatchQueue.global().asyncAfter(deadline: .now() + 2) { if child.process.isRunning { kill(pid, SIGKILL) } }
            }
        }
    }
}
