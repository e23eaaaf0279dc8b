package dev.byoos.devstack;

import java.io.PrintStream;

/**
 * The dev stack's command line: {@code java -jar byoos-devstack.jar <command> [options]}.
 * Each command is a class with a {@code run(String[] args)} returning the exit code; add new ones
 * to the switch and to {@link #usage}.
 */
public final class Main {

    static final int EXIT_OK = 0;
    static final int EXIT_FAILURE = 1;
    static final int EXIT_USAGE = 2;

    private Main() {
    }

    public static void main(String[] args) {
        // Exit explicitly: servers leave non-daemon threads behind that would keep the JVM alive.
        System.exit(run(args));
    }

    static int run(String[] args) {
        if (args.length == 0) {
            usage(System.err);
            return EXIT_USAGE;
        }
        try {
            return switch (args[0]) {
                case "run" -> RunCommand.run(args);
                case "up" -> UpCommand.run(args);
                case "servers" -> ServersCommand.run(args);
                case "stop" -> StopCommand.run(args);
                case "wipe" -> WipeCommand.run(args);
                case "token" -> TokenCommand.run(args);
                case "help", "--help", "-h" -> {
                    usage(System.out);
                    yield EXIT_OK;
                }
                default -> throw new CommandLine.UsageException("unknown command: " + args[0]);
            };
        } catch (CommandLine.UsageException e) {
            System.err.println("devstack: " + e.getMessage());
            usage(System.err);
            return EXIT_USAGE;
        } catch (Exception e) {
            System.err.println("devstack: " + args[0] + " failed: " + describe(e));
            return EXIT_FAILURE;
        }
    }

    static void usage(PrintStream out) {
        out.println("""
                usage: java -jar byoos-devstack.jar <command> [options]

                commands:
                  run [--once] [--spec FILE] [--data-dir DIR] [--root DIR] [--kubernetes-mirror M]
                      the main job: start the servers (data in DIR, default ROOT/.devstack) and the
                      four services, submit FILE (default examples/debian-12-minimal.yaml), follow it
                      to a published pack and print the results; then serve until Ctrl-C, or with
                      --once stop and exit 0 if every build published its pack (1 otherwise)
                  up --data-dir DIR [--root DIR] [--services NAME,...] [--build-workers N]
                     [--kubernetes-mirror M] [--watch-stdin]
                      the servers and the services (default: all four; e.g. --services
                      spec-service to measure intake alone; N build-worker processes, default 1,
                      sharing the work); writes DIR/endpoints.properties and
                      DIR/services.properties when ready, then runs like `servers`

                  --kubernetes-mirror M: where build workers take kubeadm, kubelet, kubectl,
                      containerd, crictl and the CNI plugins from, a directory or
                      s3://bucket/prefix laid out like the upstream downloads (fill one with
                      deploy/mirror/sync-kubernetes-components.sh). Without it, DIR/kubernetes-mirror
                      is filled with development stand-ins (scripts, not the real binaries) for
                      every release of the support matrix.
                  servers --data-dir DIR [--watch-stdin]
                      start Kafka, PostgreSQL, S3 and an OCI registry on loopback, write
                      DIR/endpoints.properties when all are ready, then run until SIGTERM/Ctrl-C
                      (or, with --watch-stdin, until standard input reaches end of file)
                  stop --data-dir DIR
                      stop the stack running on DIR and wait for it to exit
                  wipe --data-dir DIR
                      delete DIR and all the stack's data (refused while the stack runs)
                  token [--data-dir DIR] --team T[,T...] [--role viewer|submitter|admin] [--subject S] [--ttl 12h]
                      print a bearer token for spec-service's API, signed with the stack's key
                      (DIR/auth; default DIR .devstack); admin tokens may omit --team""");
    }

    /** The exception's message and its causes', on one line. */
    static String describe(Throwable throwable) {
        StringBuilder text = new StringBuilder();
        for (Throwable t = throwable; t != null; t = t.getCause()) {
            if (!text.isEmpty()) {
                text.append(" <- ");
            }
            text.append(t.getMessage() != null ? t.getMessage() : t.getClass().getName());
            if (t.getCause() == t) {
                break;
            }
        }
        return text.toString();
    }
}
