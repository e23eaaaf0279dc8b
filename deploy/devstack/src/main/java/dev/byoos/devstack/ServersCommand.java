package dev.byoos.devstack;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Path;
import java.util.Set;

/** {@code servers --data-dir DIR [--watch-stdin]}: runs the stack in the foreground. */
final class ServersCommand {

    private ServersCommand() {
    }

    static int run(String[] args) throws Exception {
        CommandLine commandLine = CommandLine.parse(args, 1, Set.of("data-dir"), Set.of("watch-stdin"));
        Path dataDir = commandLine.requiredPath("data-dir").toAbsolutePath().normalize();
        boolean watchStdin = commandLine.flag("watch-stdin");

        System.out.println("devstack: starting servers in " + dataDir);
        long begin = System.nanoTime();
        DevStack stack;
        try {
            stack = DevStack.start(dataDir, System.out::println);
        } catch (Exception e) {
            throw new IllegalStateException("could not start the stack (logs in " + new DataDir(dataDir).logs() + ")", e);
        }
        System.out.printf("devstack: all servers ready in %.1f s (logs in %s)%n",
                (System.nanoTime() - begin) / 1e9, new DataDir(dataDir).logs());
        System.out.println("devstack ready: " + stack.endpointsFile());
        stack.endpoints().toMap().forEach((key, value) -> System.out.println("  " + key + "=" + value));
        System.out.flush();

        if (watchStdin) {
            // The parent holds our stdin open for its lifetime; end of file means it is gone,
            // even if it was killed with SIGKILL, so the stack never outlives its user.
            drainUntilEndOfInput(System.in);
            System.out.println("devstack: standard input closed; stopping");
            stack.close();
            System.out.println("devstack: stopped");
            return Main.EXIT_OK;
        }
        // Runs until the JVM is told to exit (SIGTERM, Ctrl-C, `stop`); DevStack's shutdown hook
        // then stops the servers.
        Thread.currentThread().join();
        return Main.EXIT_OK;
    }

    static void drainUntilEndOfInput(InputStream input) throws IOException {
        byte[] buffer = new byte[1024];
        while (input.read(buffer) != -1) {
            // Discard: only the end of the stream matters.
        }
    }
}
