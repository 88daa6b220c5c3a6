import ArgumentParser

/// The `ipfs-accelerate` command. Each command group lives in its own file beside this one.
@main
struct IPFSAccelerateCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "ipfs-accelerate",
        abstract: "Keep, share and serve machine-learning models by content address.",
        version: "0.1.0",
        subcommands: [
            // One line per command group (keep this list short; add yours here).
            ServeCommand.self,
            AddCommand.self, CatCommand.self, LsCommand.self, GetCommand.self,
            BlockCommand.self, PinCommand.self, GCCommand.self, DagCommand.self, RepoCommand.self,
            BackendsCommand.self,
            ModelCommand.self,
            UserCommand.self,
            TokenCommand.self,
            OrgCommand.self,
            GenerateCommand.self,
            EmbedCommand.self,
        ]
    )
}
