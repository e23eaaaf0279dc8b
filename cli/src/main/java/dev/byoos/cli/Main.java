package dev.byoos.cli;

import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.Map;

import picocli.AutoComplete;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ScopeType;
import picocli.CommandLine.Spec;

/**
 * {@code byoos}: submit specs, follow builds, fetch verified artifacts and read the pack catalog
 * from a terminal or a CI job (docs/cli.md).
 */
@Command(name = "byoos", mixinStandardHelpOptions = true, versionProvider = Main.Version.class,
        description = "BYOOS Factory from the command line: submit image specs, follow builds, download verified "
                + "artifacts, read the pack catalog.",
        footer = { "", "Settings: BYOOS_URL (spec-service), BYOOS_ARTIFACTS_URL, BYOOS_PACKS_URL (default: BYOOS_URL), "
                + "BYOOS_TOKEN; or url, artifacts-url, packs-url, token in ~/.config/byoos/config (mode 600; "
                + "BYOOS_CONFIG names another file).",
                "Exit codes: 0 ok, 1 a build failed or was cancelled, 2 usage, 3 rejected, 4 unauthorized, 5 not found, "
                        + "6 conflict, 7 not verified, 8 unavailable, 9 configuration, 70 internal error." },
        subcommands = { SubmitCommand.class, ValidateCommand.class, BuildsCommand.class, CancelCommand.class,
                RetryCommand.class, LogsCommand.class, ArtifactsCommand.class, PacksCommand.class })
public class Main {

    /** A bug in the CLI itself (sysexits' EX_SOFTWARE), never a verdict on a spec or a build. */
    static final int INTERNAL_ERROR = 70;

    @Spec
    CommandSpec spec;

    @Option(names = "--output", scope = ScopeType.INHERIT, defaultValue = "text", paramLabel = "FORMAT",
            description = "text (default) or json: the API's documents, as the API answers them")
    Output.Format format;

    private final Map<String, String> environment;
    private final Path home;
    private Settings settings;
    private Api api;

    public Main(Map<String, String> environment, Path home) {
        this.environment = environment;
        this.home = home;
    }

    public static void main(String[] args) {
        System.exit(run(args, System.getenv(), Path.of(System.getProperty("user.home")),
                new PrintWriter(System.out, true), new PrintWriter(System.err, true)));
    }

    /** Runs one command line; returns its exit code ({@link ExitCodes}). */
    public static int run(String[] args, Map<String, String> environment, Path home, PrintWriter out, PrintWriter err) {
        Main main = new Main(environment, home);
        CommandLine commandLine = new CommandLine(main);
        commandLine.addSubcommand("completion", new AutoComplete.GenerateCompletion());
        commandLine.setOut(out).setErr(err).setCaseInsensitiveEnumValuesAllowed(true);
        // A usage error is one line too, with where to look, rather than the whole usage text.
        commandLine.setParameterExceptionHandler((exception, arguments) -> {
            CommandLine failed = exception.getCommandLine();
            failed.getErr().println("byoos: " + exception.getMessage());
            failed.getErr().println("  see: " + failed.getCommandSpec().qualifiedName() + " --help");
            return ExitCodes.USAGE;
        });
        commandLine.setExecutionExceptionHandler((exception, failed, parsed) -> {
            Output output = main.output();
            if (exception instanceof CliException failure) {
                output.error(failure);
                return failure.exitCode();
            }
            output.error(new CliException(INTERNAL_ERROR, "internal error (a bug in the CLI, please report it): "
                    + exception, exception));
            return INTERNAL_ERROR;
        });
        return commandLine.execute(args);
    }

    Output output() {
        return new Output(format == null ? Output.Format.text : format, spec.commandLine().getOut(),
                spec.commandLine().getErr());
    }

    /** The settings, read on first use: {@code validate} and {@code --help} need none. */
    Settings settings() {
        if (settings == null) {
            settings = Settings.load(environment, home);
        }
        return settings;
    }

    Api api() {
        if (api == null) {
            api = new Api(settings());
        }
        return api;
    }

    /** The {@code byoos} command a (sub)command runs under: its settings, API client and output. */
    static Main of(CommandSpec command) {
        return (Main) command.root().userObject();
    }

    static final class Version implements CommandLine.IVersionProvider {
        @Override
        public String[] getVersion() {
            String version = Main.class.getPackage().getImplementationVersion();
            return new String[] { "byoos " + (version == null ? "(development build)" : version) };
        }
    }
}
