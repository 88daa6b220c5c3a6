import Foundation
import HTTPTypes
import Hummingbird
import Logging
import HubDatabase
import NIOCore
import Primitives

/// What a page handler answers: a rendered page or a redirect (after a form POST, or to sign in).
enum WebPage {
    case html(title: String, template: String, data: any PageData, status: HTTPResponse.Status = .ok)
    case redirect(String, cookies: [String] = [])
}

/// The web interface's routes. Pages of the hub's own (sign-in, settings, admin, the stylesheet) live
/// under `/-/`: a leading dash is not a valid user or org name, so no namespace's repos (or their
/// `resolve`/git/LFS routes) can be shadowed. Repo pages use only the suffixes `tree`, `blob` and
/// `commits` below `/{ns}/{name}`, which none of the API, git or LFS routes use.
struct WebController: Sendable {
    let database: HubDatabase
    let content: ContentStore
    let placement: ContentPlacement
    let repos: RepoAccess
    /// Signing in checks a token as the API does.
    let authenticator: Authenticator
    let origin: HubOrigin
    /// Session cookies and CSRF tokens.
    let seal: WebSeal
    /// The admin portal's source pages; the service is set up after the routes.
    let fallback: FallbackSlot
    let logger: Logger

    /// `router`: the group that reads a valid Bearer token and ignores any other credentials.
    func addRoutes(to router: HubRouter) {
        router.get("/") { req, ctx in await self.page(req, ctx) { try await self.homePage(req, $0) } }
        router.get("/-/static/hub.css") { _, _ in
            var headers = HTTPFields()
            headers[.contentType] = "text/css; charset=utf-8"
            headers[.cacheControl] = "public, max-age=3600"
            return Response(status: .ok, headers: headers, body: .init(byteBuffer: ByteBuffer(string: WebStyle.css)))
        }
        addAccountRoutes(to: router)
        addAdminPageRoutes(to: router)
        router.get("/:ns") { req, ctx in
            await self.page(req, ctx) { try await self.namespacePage(decoded(ctx.parameters.get("ns") ?? ""), req, $0) }
        }
        for type in RepoType.allCases {
            let prefix = type == .model ? "" : "/\(type.plural)"
            router.get("\(prefix)/:ns/:name") { req, ctx in
                await self.page(req, ctx) { try await self.repoCardPage(type, ctx, req, $0) }
            }
            router.get("\(prefix)/:ns/:name/tree/**") { req, ctx in
                await self.page(req, ctx) { try await self.treePage(type, ctx, req, $0) }
            }
            router.get("\(prefix)/:ns/:name/blob/**") { req, ctx in
                await self.page(req, ctx) { try await self.blobPage(type, ctx, req, $0) }
            }
            router.get("\(prefix)/:ns/:name/commits/**") { req, ctx in
                await self.page(req, ctx) { try await self.commitsPage(type, ctx, req, $0) }
            }
        }
    }

    /// Runs a page handler and turns its answer, or its error, into an HTML response.
    func page(_ request: Request, _ context: HubRequestContext, _ handler: (inout WebVisit) async throws -> WebPage) async -> Response {
        var visit: WebVisit
        do { visit = try await self.visit(request, bearer: context.caller) } catch {
            return htmlResponse(errorHTML(.internalServerError, "The hub's database could not be read: \(error)"), status: .internalServerError, cookies: [])
        }
        let result: WebPage
        do {
            result = try await handler(&visit)
        } catch {
            let e = (HubError.from(error) as? HubError) ?? HubError(.internalServerError, "\(error)")
            if e.status.code >= 500 { logger.error("web page \(request.uri.path): \(String(reflecting: error))") }
            // A visitor who is not signed in is offered the sign-in form with the page to come back to.
            let next = PercentEncoding.encode(request.uri.path)
            result = .html(title: String(e.status.code), template: "error",
                           data: ErrorPage(status: "\(e.status.code) \(e.status.reasonPhrase)", message: e.message,
                                           signIn: visit.caller.user == nil && e.status != .notFound, next: next),
                           status: e.status)
        }
        switch result {
        case .redirect(let location, let cookies):
            var headers = HTTPFields()
            headers[.location] = location
            headers[.cacheControl] = "no-store"
            for c in visit.setCookies + cookies { headers.append(HTTPField(name: .setCookie, value: c)) }
            return Response(status: .seeOther, headers: headers)
        case .html(let title, let template, let data, let status):
            let visitor = visit.caller.user.map { Visitor(name: $0.name, isAdmin: $0.isAdmin) }
            let body = WebTemplates.library.render(PageFrame(csrf: visit.csrf, user: visitor, page: data), withTemplate: template) ?? ""
            let search = request.uri.queryParameters["search"].map(String.init).flatMap { $0.isEmpty ? nil : $0 }
            let layout = LayoutData(title: title, body: body, csrf: visit.csrf, user: visitor, search: search)
            let html = WebTemplates.library.render(layout, withTemplate: "layout") ?? ""
            return htmlResponse(html, status: status, cookies: visit.setCookies)
        }
    }

    func errorHTML(_ status: HTTPResponse.Status, _ message: String) -> String {
        "<!doctype html><title>\(status.code)</title><h1>\(status.code)</h1><p>\(htmlEscape(message))</p>"
    }

    /// Pages never run script (CSP `script-src 'none'`): even markup that slipped past escaping stays inert.
    func htmlResponse(_ html: String, status: HTTPResponse.Status, cookies: [String]) -> Response {
        var headers = HTTPFields()
        headers[.contentType] = "text/html; charset=utf-8"
        headers[.contentSecurityPolicy] = "default-src 'self'; script-src 'none'; style-src 'self'; img-src 'self' https: data:; object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'"
        headers[.xContentTypeOptions] = "nosniff"
        headers[.xFrameOptions] = "DENY"
        headers[HTTPField.Name("Referrer-Policy")!] = "same-origin"
        // Pages can show private repos and tokens: never kept by shared caches.
        headers[.cacheControl] = "no-store"
        for c in cookies { headers.append(HTTPField(name: .setCookie, value: c)) }
        return Response(status: status, headers: headers, body: .init(byteBuffer: ByteBuffer(string: html)))
    }

    // MARK: formatting shared by the pages

    static func sizeText(_ n: Int64) -> String {
        if n < 1024 { return "\(n) B" }
        let units = ["KB", "MB", "GB", "TB"]
        var v = Double(n) / 1024, i = 0
        while v >= 1024 && i < units.count - 1 { v /= 1024; i += 1 }
        return String(format: v < 10 ? "%.1f %@" : "%.0f %@", v, units[i])
    }

    static func dateText(_ seconds: Int64) -> String {
        let f = DateFormatter()
        f.locale = Locale(identifier: "en_US_POSIX")
        f.timeZone = TimeZone(identifier: "UTC")
        f.dateFormat = "yyyy-MM-dd HH:mm 'UTC'"
        return f.string(from: Date(timeIntervalSince1970: TimeInterval(seconds)))
    }

    /// A `next=` target that stays on this site (a path, not `//host` or a URL).
    static func safeNext(_ raw: String?) -> String {
        guard let raw, raw.hasPrefix("/"), !raw.hasPrefix("//"), !raw.hasPrefix("/\\"), !raw.contains("\r"), !raw.contains("\n") else { return "/" }
        return raw
    }
}

extension HTTPField.Name {
    static let xFrameOptions = HTTPField.Name("X-Frame-Options")!
}
