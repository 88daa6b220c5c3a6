/// Bodies and answers of `/api/admin/...` (users, tokens, pins, organisations). Request fields of the
/// wrong type read as absent, as the dictionary reads did; a required one then gets its "'x' is required".

struct CreateUserRequest: Decodable, Sendable {
    var name: String?
    var admin: Bool?

    init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        name = c.lenient(String.self, forKey: .name)
        admin = c.lenientBool(forKey: .admin)
    }

    enum CodingKeys: String, CodingKey { case name, admin }
}

struct CreateTokenRequest: Decodable, Sendable {
    var user: String?
    var displayName: String?
    var write: Bool?

    init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        user = c.lenient(String.self, forKey: .user)
        displayName = c.lenient(String.self, forKey: .displayName)
        write = c.lenientBool(forKey: .write)
    }

    enum CodingKeys: String, CodingKey { case user, displayName, write }
}

struct PinRequest: Decodable, Sendable {
    var cid: String?

    init(from decoder: any Decoder) throws {
        cid = try decoder.container(keyedBy: CodingKeys.self).lenient(String.self, forKey: .cid)
    }

    enum CodingKeys: String, CodingKey { case cid }
}

struct CreateOrgRequest: Decodable, Sendable {
    var name: String?
    var fullname: String?

    init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        name = c.lenient(String.self, forKey: .name)
        fullname = c.lenient(String.self, forKey: .fullname)
    }

    enum CodingKeys: String, CodingKey { case name, fullname }
}

struct OrgMemberRequest: Decodable, Sendable {
    var user: String?
    var role: String?

    init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        user = c.lenient(String.self, forKey: .user)
        role = c.lenient(String.self, forKey: .role)
    }

    enum CodingKeys: String, CodingKey { case user, role }
}

struct AdminUserJSON: Encodable, Sendable {
    var name: String
    var isAdmin: Bool
    /// In the listing only, not in the answer to creating a user.
    var createdAt: String?
}

struct AdminTokenJSON: Encodable, Sendable {
    var id: String
    var user: String
    var displayName: String
    var role: String
}

/// The answer to creating a token: the only time the secret is shown.
struct NewTokenJSON: Encodable, Sendable {
    var id: String
    var token: String
    var role: String
}

struct PinJSON: Encodable, Sendable {
    var cid: String
}

struct OrgJSON: Encodable, Sendable {
    var name: String
    var fullname: String
    var createdAt: String
    var members: [OrgMemberJSON]
}

struct OrgMemberJSON: Encodable, Sendable {
    var user: String
    var role: String
}
