import Foundation

/// Writes a tar stream (Kubo's `get` answer) to disk as it arrives. The archive's first path
/// component (the CID) is replaced by `outputPath`, so a file CID becomes that file and a folder CID
/// that folder. Names that would escape `outputPath` (`..`, absolute) are refused.
struct TarExtractor {
    let outputPath: String
    private var buffer = Data()
    private var state: State = .header
    private var pendingName: String?
    private var file: FileHandle?
    private var sawEntry = false

    private enum State {
        case header
        case body(remaining: Int, padding: Int, kind: BodyKind)
        case padding(Int)
        case done
    }
    private enum BodyKind { case file, paxHeader, longName, skip }

    init(outputPath: String) { self.outputPath = outputPath }

    mutating func feed(_ chunk: Data) throws {
        buffer.append(chunk)
        try drain()
    }

    mutating func finish() throws {
        try drain()
        try? file?.close()
        file = nil
        switch state {
        case .done, .header: break
        default: throw BackendError.failed("the tar stream ended mid-entry")
        }
        guard sawEntry else { throw BackendError.failed("the tar stream held no entry") }
    }

    private mutating func drain() throws {
        while true {
            switch state {
            case .done:
                buffer.removeAll()
                return
            case .header:
                guard buffer.count >= 512 else { return }
                let block = Data(buffer.prefix(512))
                buffer.removeFirst(512)
                if block.allSatisfy({ $0 == 0 }) { state = .done; continue }
                try startEntry(block)
            case .padding(let n):
                guard buffer.count >= n else { state = .padding(n - buffer.count); buffer.removeAll(); return }
                buffer.removeFirst(n)
                state = .header
            case .body(let remaining, let padding, let kind):
                if remaining == 0 {
                    if kind == .file { try? file?.close(); file = nil }
                    state = padding > 0 ? .padding(padding) : .header
                    continue
                }
                guard !buffer.isEmpty else { return }
                let take = min(remaining, buffer.count)
                switch kind {
                case .file:
                    try file?.write(contentsOf: buffer.prefix(take))
                    buffer.removeFirst(take)
                    state = .body(remaining: remaining - take, padding: padding, kind: kind)
                case .paxHeader, .longName:
                    // Small metadata records: wait until the whole record is here.
                    guard buffer.count >= remaining else { return }
                    let record = Data(buffer.prefix(remaining))
                    buffer.removeFirst(remaining)
                    if kind == .longName {
                        pendingName = String(decoding: record.prefix { $0 != 0 }, as: UTF8.self)
                    } else {
                        pendingName = Self.paxPath(record) ?? pendingName
                    }
                    state = .body(remaining: 0, padding: padding, kind: .skip)
                case .skip:
                    buffer.removeFirst(take)
                    state = .body(remaining: remaining - take, padding: padding, kind: kind)
                }
            }
        }
    }

    private static func field(_ b: Data, _ offset: Int, _ length: Int) -> String {
        let slice = b[b.startIndex + offset ..< b.startIndex + offset + length]
        return String(decoding: slice.prefix { $0 != 0 }, as: UTF8.self)
    }

    private static func paxPath(_ record: Data) -> String? {
        for line in String(decoding: record, as: UTF8.self).split(separator: "\n") {
            guard let space = line.firstIndex(of: " ") else { continue }
            let kv = line[line.index(after: space)...]
            if kv.hasPrefix("path=") { return String(kv.dropFirst(5)) }
        }
        return nil
    }

    private mutating func startEntry(_ h: Data) throws {
        let sizeField = Self.field(h, 124, 12).trimmingCharacters(in: .whitespaces)
        guard let size = Int(sizeField.isEmpty ? "0" : sizeField, radix: 8) else {
            throw BackendError.failed("bad tar header (size '\(sizeField)')")
        }
        let padding = (512 - size % 512) % 512
        let type = h[h.startIndex + 156]
        switch type {
        case UInt8(ascii: "x"): state = .body(remaining: size, padding: padding, kind: .paxHeader); return
        case UInt8(ascii: "L"): state = .body(remaining: size, padding: padding, kind: .longName); return
        case UInt8(ascii: "g"): state = .body(remaining: size, padding: padding, kind: .skip); return
        default: break
        }
        var name = Self.field(h, 0, 100)
        let prefix = Self.field(h, 345, 155)
        if !prefix.isEmpty { name = prefix + "/" + name }
        if let p = pendingName { name = p; pendingName = nil }
        let target = try destination(for: name)
        let fm = FileManager.default
        sawEntry = true
        switch type {
        case UInt8(ascii: "5"):
            try fm.createDirectory(atPath: target, withIntermediateDirectories: true)
            state = .body(remaining: size, padding: padding, kind: .skip)
        case UInt8(ascii: "2"):
            try? fm.removeItem(atPath: target)
            try fm.createDirectory(atPath: (target as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
            try fm.createSymbolicLink(atPath: target, withDestinationPath: Self.field(h, 157, 100))
            state = .body(remaining: size, padding: padding, kind: .skip)
        case UInt8(ascii: "0"), 0:
            try fm.createDirectory(atPath: (target as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
            guard fm.createFile(atPath: target, contents: nil), let fh = FileHandle(forWritingAtPath: target) else {
                throw BackendError.failed("cannot write \(target)")
            }
            file = fh
            state = .body(remaining: size, padding: padding, kind: .file)
        default:
            state = .body(remaining: size, padding: padding, kind: .skip)
        }
    }

    private func destination(for name: String) throws -> String {
        let parts = name.split(separator: "/", omittingEmptySubsequences: true).map(String.init)
        guard !name.hasPrefix("/"), !parts.isEmpty, !parts.contains(".."), !parts.contains(".") else {
            throw BackendError.failed("refusing tar entry '\(name)' (would escape the output folder)")
        }
        return parts.dropFirst().reduce(outputPath) { ($0 as NSString).appendingPathComponent($1) }
    }
}
