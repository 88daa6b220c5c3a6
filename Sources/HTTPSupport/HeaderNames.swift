import HTTPTypes

/// The Hugging Face protocol's own headers, which `huggingface_hub` reads to tell one 404 from another.
extension HTTPField.Name {
    public static let xErrorCode = HTTPField.Name("X-Error-Code")!
    public static let xErrorMessage = HTTPField.Name("X-Error-Message")!
    public static let xRepoCommit = HTTPField.Name("X-Repo-Commit")!
}
