/// An author or committer line: "Name <email> 1700000000 +0100".
public struct Signature: Hashable, Sendable {
    public var name: String
    public var email: String
    /// Seconds since the Unix epoch.
    public var time: Int64
    /// Offset from UTC as git writes it: sign, two hour digits, two minute
    /// digits ("+0100", "-0530"). Kept as text so a parsed commit
    /// re-serialises to exactly the same bytes (and therefore the same id).
    public var timezone: String

    public init(name: String, email: String, time: Int64, timezone: String = "+0000") {
        self.name = name
        self.email = email
        self.time = time
        self.timezone = timezone
    }

    /// Convenience for callers holding an offset in minutes east of UTC.
    public init(name: String, email: String, time: Int64, offsetMinutes: Int) {
        let sign = offsetMinutes < 0 ? "-" : "+"
        let m = abs(offsetMinutes)
        let hh = m / 60, mm = m % 60
        let tz = sign + (hh < 10 ? "0" : "") + String(hh) + (mm < 10 ? "0" : "") + String(mm)
        self.init(name: name, email: email, time: time, timezone: tz)
    }

    public var offsetMinutes: Int? {
        let u = Array(timezone.utf8)
        guard u.count == 5, u[0] == UInt8(ascii: "+") || u[0] == UInt8(ascii: "-"),
              let hh = Int(timezone.dropFirst().prefix(2)), let mm = Int(timezone.suffix(2)) else { return nil }
        return (u[0] == UInt8(ascii: "-") ? -1 : 1) * (hh * 60 + mm)
    }

    var serialized: String { "\(name) <\(email)> \(time) \(timezone)" }

    /// Parses from the right: the name may contain anything except '<' and
    /// '>' in practice, but the time and zone are always the last two fields.
    static func parse(_ s: Substring) throws(GitObjectError) -> Signature {
        guard let lt = s.firstIndex(of: "<"), let gt = s.lastIndex(of: ">"), lt < gt else {
            throw .malformedCommit("bad signature")
        }
        let name = s[s.startIndex..<lt].trimmingSuffixSpace()
        let email = s[s.index(after: lt)..<gt]
        let rest = s[s.index(after: gt)...].split(separator: " ")
        guard rest.count == 2, let time = Int64(rest[0]) else { throw .malformedCommit("bad signature date") }
        return Signature(name: String(name), email: String(email), time: time, timezone: String(rest[1]))
    }
}

extension Substring {
    fileprivate func trimmingSuffixSpace() -> Substring {
        var s = self
        while s.last == " " { s = s.dropLast() }
        return s
    }
}

public struct Commit: Hashable, Sendable {
    public var tree: ObjectID
    public var parents: [ObjectID]
    public var author: Signature
    public var committer: Signature
    /// Headers after "committer" (encoding, gpgsig, mergetag…), kept verbatim
    /// so signed or foreign commits survive a parse/serialise round trip.
    /// Multi-line values hold their continuation lines joined by "\n".
    public var extraHeaders: [(key: String, value: String)]
    /// Message bytes exactly as stored (git does not require UTF-8 here).
    public var messageBytes: [UInt8]

    public init(tree: ObjectID, parents: [ObjectID] = [], author: Signature, committer: Signature,
                message: String, extraHeaders: [(key: String, value: String)] = []) {
        self.tree = tree
        self.parents = parents
        self.author = author
        self.committer = committer
        self.extraHeaders = extraHeaders
        self.messageBytes = Array(message.utf8)
    }

    public var message: String { String(decoding: messageBytes, as: UTF8.self) }

    public func serialized() -> [UInt8] {
        var head = "tree \(tree.hex)\n"
        for p in parents { head += "parent \(p.hex)\n" }
        head += "author \(author.serialized)\n"
        head += "committer \(committer.serialized)\n"
        for (k, v) in extraHeaders {
            // Continuation lines of a multi-line header start with one space.
            head += k + " " + v.split(separator: "\n", omittingEmptySubsequences: false).joined(separator: "\n ") + "\n"
        }
        head += "\n"
        return Array(head.utf8) + messageBytes
    }

    public var object: GitObject { GitObject(type: .commit, data: serialized()) }
    public var id: ObjectID { object.id }

    public static func parse(_ data: [UInt8]) throws(GitObjectError) -> Commit {
        // Headers end at the first empty line; everything after is the message.
        var lines: [Substring] = []
        var i = 0
        var lineStart = 0
        var messageStart: Int? = nil
        while i < data.count {
            if data[i] == UInt8(ascii: "\n") {
                if i == lineStart { messageStart = i + 1; break }
                lines.append(Substring(String(decoding: data[lineStart..<i], as: UTF8.self)))
                lineStart = i + 1
            }
            i += 1
        }
        guard let msgStart = messageStart else { throw .malformedCommit("no header terminator") }

        var tree: ObjectID?
        var parents: [ObjectID] = []
        var author: Signature?
        var committer: Signature?
        var extra: [(key: String, value: String)] = []
        for line in lines {
            if line.first == " " {
                guard !extra.isEmpty else { throw .malformedCommit("stray continuation line") }
                extra[extra.count - 1].value += "\n" + line.dropFirst()
                continue
            }
            guard let sp = line.firstIndex(of: " ") else { throw .malformedCommit("bad header") }
            let key = line[line.startIndex..<sp]
            let value = line[line.index(after: sp)...]
            switch key {
            case "tree" where tree == nil && parents.isEmpty && author == nil:
                guard let id = ObjectID(hex: value) else { throw .malformedCommit("bad tree id") }
                tree = id
            case "parent" where tree != nil && author == nil:
                guard let id = ObjectID(hex: value) else { throw .malformedCommit("bad parent id") }
                parents.append(id)
            case "author" where tree != nil && author == nil:
                author = try Signature.parse(value)
            case "committer" where author != nil && committer == nil:
                committer = try Signature.parse(value)
            default:
                guard committer != nil else { throw .malformedCommit("unexpected header \(key)") }
                extra.append((String(key), String(value)))
            }
        }
        guard let t = tree, let a = author, let c = committer else { throw .malformedCommit("missing header") }
        var commit = Commit(tree: t, parents: parents, author: a, committer: c, message: "", extraHeaders: extra)
        commit.messageBytes = Array(data[msgStart...])
        return commit
    }

    public static func == (l: Commit, r: Commit) -> Bool { l.serialized() == r.serialized() }
    public func hash(into h: inout Hasher) { h.combine(serialized()) }
}
