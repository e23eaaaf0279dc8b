package dev.byoos.devstack;

import dev.byoos.localauth.LocalTokens;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Set;

/**
 * {@code token}: prints a bearer token for the local stack's spec-service, e.g.
 * {@code token --team platform --role submitter}. Roles: viewer (read), submitter (read, submit,
 * cancel, retry), admin (everything, every team).
 */
final class TokenCommand {

    private TokenCommand() {
    }

    static int run(String[] args) throws Exception {
        CommandLine options = CommandLine.parse(args, 1, Set.of("data-dir", "team", "role", "subject", "ttl"), Set.of());
        Path dataDir = Path.of(options.value("data-dir", ".devstack")).toAbsolutePath();
        List<String> teams = split(options.value("team", ""));
        List<String> roles = split(options.value("role", "submitter"));
        if (teams.isEmpty() && !roles.contains("admin")) {
            throw new CommandLine.UsageException("--team is required (comma-separated) unless --role admin");
        }
        Duration ttl = Duration.parse("PT" + options.value("ttl", "12h").toUpperCase(java.util.Locale.ROOT));
        String subject = options.value("subject", System.getProperty("user.name", "local-user"));
        System.out.println(LocalTokens.in(ServiceLauncher.authDirectory(dataDir)).mint(subject, teams, roles, ttl));
        return Main.EXIT_OK;
    }

    private static List<String> split(String value) {
        return value.isBlank() ? List.of() : List.of(value.split(","));
    }
}
