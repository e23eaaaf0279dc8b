package dev.byoos.cli;

import java.util.concurrent.Callable;

import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Spec;

/** A command that runs: its settings, API client and output come from the {@code byoos} it runs under. */
abstract class CliCommand implements Callable<Integer> {

    @Spec
    CommandSpec spec;

    Main main() {
        return Main.of(spec);
    }

    Output output() {
        return main().output();
    }
}
