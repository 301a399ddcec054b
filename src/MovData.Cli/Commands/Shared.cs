using System.CommandLine;
using System.Text;
using System.Text.Json;

namespace MovData.Cli.Commands;

/// <summary>Options several verbs share, and the one place exceptions become exit codes.</summary>
internal static class Shared
{
    internal static Option<bool> Json() => new("--json") { Description = "print the result as one JSON value on standard output" };

    internal static Option<bool> Verbose() => new("--verbose") { Description = "on failure, print the full exception too" };

    internal static Option<bool> ZeroCopyOnly() => new("--zero-copy-only") { Description = "refuse (exit 3, nothing changed) where data would be copied" };

    internal static Argument<string> File(string name, string description) => new(name) { Description = description };

    /// <summary>Help text: the summary, then a worked example with real numbers.</summary>
    internal static string Describe(string summary, string example) => $"{summary}\n\nExample:\n  {example}";

    /// <summary>
    /// Runs a verb's work, mapping what can go wrong to one line on standard error and the
    /// documented exit code (a stack trace only with --verbose); with --json the failure is
    /// also one JSON value on standard output, <c>{"error":{...}}</c>, so a script always has
    /// something to parse.
    /// </summary>
    internal static int Guard(Io io, bool verbose, bool json, Func<int> work)
    {
        try
        {
            return work();
        }
        catch (Exception e)
        {
            (ExitCode code, string message) = Classify(e);
            io.Err.WriteLine($"movdata: {message}");
            if (verbose)
            {
                io.Err.WriteLine(e.ToString());
            }
            if (json && !(e is IOException { Source: "stdout" }))
            {
                WriteError(io, code, e, message);
            }
            return (int)code;
        }
    }

    /// <summary>The exit code and the one-line message a failure gets, in the tool's terms.</summary>
    internal static (ExitCode Code, string Message) Classify(Exception e)
    {
        ExitCode code = e switch
        {
            OperationCanceledException => ExitCode.Interrupted,
            // Input that is not what the verb takes (not a recording, a damaged one): nothing changed.
            ArgumentException or InvalidDataException => ExitCode.Usage,
            NotSupportedException => ExitCode.NotSupported, // the filesystem's refusals, and a file MovData cannot edit yet
            _ => ExitCode.Failed,
        };
        string message = e switch
        {
            EditInterruptedException i => Interrupted(i),
            OperationCanceledException => "interrupted; nothing was changed",
            // .NET's own "Could not find file '/abs/x.mp4'.", as coreutils say it.
            FileNotFoundException { FileName: { Length: > 0 } name } => $"{name}: No such file or directory",
            // An argument's name is the library's business, not the command's: not " (Parameter 'ranges')".
            ArgumentException { ParamName: { } name } a => a.Message.Replace($" (Parameter '{name}')", "", StringComparison.Ordinal),
            IOException or UnauthorizedAccessException or ArgumentException or NotSupportedException or InvalidDataException => e.Message,
            // The last resort: a failure MovData does not expect is still one line and an
            // exit code, never an abort with a stack trace.
            _ => $"internal error ({e.GetType().Name}: {e.Message}); please report it with the output of --verbose",
        };
        return (code, InOptionTerms(message));
    }

    /// <summary>The library names what a caller passed by its parameters (donorOffset,
    /// ZeroCopyOnly); the person at the command line passed options.</summary>
    private static readonly Dictionary<string, string> OptionNames = new()
    {
        ["donorOffset"] = "--donor-offset",
        ["receiverOffset"] = "--receiver-offset",
        ["sourceOffset"] = "--source-offset",
        ["destinationOffset"] = "--destination-offset",
        ["offset1"] = "--offset1",
        ["offset2"] = "--offset2",
        ["ZeroCopyOnly"] = "--zero-copy-only",
    };

    private static readonly System.Text.RegularExpressions.Regex LibraryName = new($@"(?<![\w/.-])({string.Join('|', OptionNames.Keys)})(?![\w/.-])");

    private static string InOptionTerms(string message) => LibraryName.Replace(message, m => OptionNames[m.Value]);

    /// <summary>"move interrupted after 1.2 GiB of 2 GiB; the rest is recorded: movdata recover DIR".</summary>
    private static string Interrupted(EditInterruptedException e)
    {
        string done = e.Unit == "bytes" ? $"{Sizes.Human(e.Done)} of {Sizes.Human(e.Total)}" : $"step {e.Done} of {e.Total}";
        string home = Path.GetDirectoryName(e.JournalDirectory) is { Length: > 0 } dir ? dir : e.JournalDirectory;
        return $"{e.Edit} interrupted after {done}; the rest is recorded: movdata recover {home}";
    }

    /// <summary>A command line the parser refused (an unknown option, a size that is not one):
    /// with --json, one error value on standard output too, exit 2, as every other failure.</summary>
    internal static void WriteUsageError(Io io, string message) =>
        WriteError(io, ExitCode.Usage, new ArgumentException(message), message);

    /// <summary>The JSON of a failure: its exit code, errno name, broken rule, message, and
    /// for a Move or an interrupted edit how far it got.</summary>
    private static void WriteError(Io io, ExitCode code, Exception e, string message) => WriteJson(io, w =>
    {
        w.WriteStartObject();
        WriteErrorObject(w, code, e, message);
        w.WriteEndObject();
    });

    /// <summary>The <c>"error":{...}</c> member of a failure's JSON.</summary>
    internal static void WriteErrorObject(Utf8JsonWriter w, ExitCode code, Exception e, string message)
    {
        w.WriteStartObject("error");
        w.WriteNumber("exit", (int)code);
        w.WriteString("errno", Errno.NameOf(Errno.Of(e)));
        if (e is ContractViolationException { Rule: var rule } && rule != 0)
        {
            w.WriteNumber("rule", (int)rule);
        }
        else
        {
            w.WriteNull("rule");
        }
        w.WriteString("message", message);
        if (e is MoveIncompleteException m)
        {
            w.WriteNumber("movedLength", m.Result.MovedLength);
            w.WriteString("method", m.Result.Method.ToContractName());
            w.WriteNumber("bytesCopied", m.Result.BytesCopied);
            w.WriteString("failedStage", m.FailedStage.ToContractName());
            w.WriteBoolean("recoveryPending", m.RecoveryPending);
        }
        if (e is EditInterruptedException i)
        {
            w.WriteNumber("done", i.Done);
            w.WriteNumber("total", i.Total);
            w.WriteString("unit", i.Unit);
            w.WriteString("journal", i.JournalDirectory);
        }
        if (e is EditIncompleteException)
        {
            w.WriteBoolean("recoveryPending", true);
        }
        if (e is InterruptedEditFinishedException f)
        {
            WriteRecovered(w, f.Recovered);
        }
        w.WriteEndObject();
    }

    /// <summary>Tells standard error of the interrupted edits an edit finished first, and of
    /// damaged journal records it left alone.</summary>
    internal static void ReportRecovered(Io io, IReadOnlyList<RecoveredEdit> recovered)
    {
        foreach (RecoveredEdit r in recovered)
        {
            io.Err.WriteLine(r.Outcome == RecoveryOutcome.Finished
                ? $"movdata: finished an interrupted {r.Edit} ({r.Detail}) first"
                : $"movdata: warning: {r.Detail}");
        }
    }

    /// <summary>The <c>"recovered"</c> array of a result's JSON, written only when an edit
    /// was finished first (or a damaged record was found).</summary>
    internal static void WriteRecovered(Utf8JsonWriter w, IReadOnlyList<RecoveredEdit> recovered)
    {
        if (recovered.Count == 0)
        {
            return;
        }
        w.WriteStartArray("recovered");
        foreach (RecoveredEdit e in recovered)
        {
            WriteRecoveredEdit(w, e);
        }
        w.WriteEndArray();
    }

    /// <summary>One record's outcome, as `movdata recover --json` lists them.</summary>
    internal static void WriteRecoveredEdit(Utf8JsonWriter w, RecoveredEdit e)
    {
        w.WriteStartObject();
        w.WriteString("record", e.Record);
        w.WriteString("edit", e.Edit);
        w.WriteString("outcome", e.Outcome.ToContractName());
        w.WriteString("detail", e.Detail);
        w.WriteEndObject();
    }

    /// <summary>A JSON array <paramref name="name"/> of one object per item, its members written by <paramref name="members"/>.</summary>
    internal static void WriteObjects<T>(Utf8JsonWriter w, string name, IEnumerable<T> items, Action<Utf8JsonWriter, T> members)
    {
        w.WriteStartArray(name);
        foreach (T item in items)
        {
            w.WriteStartObject();
            members(w, item);
            w.WriteEndObject();
        }
        w.WriteEndArray();
    }

    /// <summary>Writes one JSON value built by <paramref name="write"/>, then a newline.</summary>
    internal static void WriteJson(Io io, Action<Utf8JsonWriter> write)
    {
        using var buffer = new MemoryStream();
        using (var writer = new Utf8JsonWriter(buffer, new JsonWriterOptions { Indented = false }))
        {
            write(writer);
        }
        io.Out.WriteLine(Encoding.UTF8.GetString(buffer.ToArray()));
    }

    /// <summary>The JSON of a companion operation's result.</summary>
    internal static void WriteRangeResult(Io io, bool json, string verb, RangeResult r)
    {
        ReportRecovered(io, r.Recovered);
        if (json)
        {
            WriteJson(io, w =>
            {
                w.WriteStartObject();
                w.WriteNumber("length", r.Length);
                w.WriteString("method", r.Method.ToContractName());
                w.WriteNumber("bytesCopied", r.BytesCopied);
                WriteRecovered(w, r.Recovered);
                w.WriteEndObject();
            });
        }
        else
        {
            io.Out.WriteLine($"{verb}: {r.Length} bytes ({Sizes.Human(r.Length)}), {r.Method.ToContractName()}, {r.BytesCopied} bytes copied");
        }
    }

    /// <summary>A multi-step edit's result: its steps, as JSON or one line each.</summary>
    internal static void WriteEditResult(Io io, bool json, string verb, long length, EditResult r)
    {
        ReportRecovered(io, r.Recovered);
        if (json)
        {
            WriteJson(io, w =>
            {
                w.WriteStartObject();
                w.WriteNumber("length", length);
                w.WriteStartArray("steps");
                foreach (EditStepResult s in r.Steps)
                {
                    w.WriteStartObject();
                    w.WriteString("step", s.Step);
                    w.WriteString("method", s.Method.ToContractName());
                    w.WriteNumber("bytesCopied", s.BytesCopied);
                    w.WriteEndObject();
                }
                w.WriteEndArray();
                WriteRecovered(w, r.Recovered);
                w.WriteEndObject();
            });
            return;
        }
        io.Out.WriteLine($"{verb}: {length} bytes ({Sizes.Human(length)}), {r.BytesCopied} bytes copied");
        foreach (EditStepResult s in r.Steps)
        {
            io.Out.WriteLine($"  {s.Step,-10} {s.Method.ToContractName(),-14} {s.BytesCopied} bytes copied");
        }
    }
}
