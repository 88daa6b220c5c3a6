import Foundation

/// The bytes of some files, one after another, `chunkSize` at a time, each read on a dispatch
/// thread so that a slow disk never blocks Swift's cooperative pool (the one async file reader
/// of the HTTP faces: the hub's joined LFS parts, the Kubo RPC's `get` archive).
public struct FileChunks: AsyncSequence, Sendable {
    public typealias Element = Data
    public let files: [URL]
    public let chunkSize: Int

    public init(_ files: [URL], chunkSize: Int = 1 << 20) {
        self.files = files
        self.chunkSize = Swift.max(1, chunkSize)
    }

    /// A file that cannot be opened, named by its path (the disk's own error is kept).
    public struct OpenFailure: Error, CustomStringConvertible {
        public let path: String
        public let reason: String
        public var description: String { "cannot read \(path): \(reason)" }
    }

    public struct AsyncIterator: AsyncIteratorProtocol {
        var files: [URL]
        let chunkSize: Int
        var handle: FileHandle?

        public mutating func next() async throws -> Data? {
            while true {
                if handle == nil {
                    guard !files.isEmpty else { return nil }
                    let url = files.removeFirst()
                    handle = try await runBlocking {
                        do { return try FileHandle(forReadingFrom: url) } catch {
                            throw OpenFailure(path: url.path, reason: error.localizedDescription)
                        }
                    }
                }
                let current = handle!, n = chunkSize
                if let data = try await runBlocking({ try current.read(upToCount: n) }), !data.isEmpty { return data }
                try? current.close()
                handle = nil
            }
        }
    }

    public func makeAsyncIterator() -> AsyncIterator { AsyncIterator(files: files, chunkSize: chunkSize, handle: nil) }
}
