package dev.byoos.devstack;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Set;

/** {@code wipe --data-dir DIR}: deletes a stopped stack's data directory. */
final class WipeCommand {

    private WipeCommand() {
    }

    static int run(String[] args) throws IOException {
        CommandLine commandLine = CommandLine.parse(args, 1, Set.of("data-dir"), Set.of());
        DataDir dataDir = new DataDir(commandLine.requiredPath("data-dir"));
        Path root = dataDir.root();
        if (!Files.exists(root)) {
            System.out.println("devstack: " + root + " does not exist; nothing to wipe");
            return Main.EXIT_OK;
        }
        // Guards against a mistyped path: only a directory a stack has run in is deleted.
        if (!dataDir.looksLikeDevStack()) {
            throw new IllegalStateException(root + " is not a dev stack data directory (no "
                    + DataDir.LOCK_FILE_NAME + "); refusing to delete it");
        }
        if (dataDir.isLocked() || StopCommand.runningStack(dataDir).isPresent()) {
            throw new IllegalStateException("a dev stack is running on " + root
                    + "; stop it first: stop --data-dir " + root);
        }
        // Servers orphaned by a killed stack would keep writing into the deleted tree.
        PostgresServer.stopStale(dataDir.postgres());
        RegistryServer.stopStale(dataDir.registry());
        DirectoryTrees.delete(root);
        System.out.println("devstack: wiped " + root);
        return Main.EXIT_OK;
    }
}
