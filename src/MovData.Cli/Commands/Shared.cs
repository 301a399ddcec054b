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
    /// documented exit code (a stack trace only with --verbose).
    /// </summary>
    internal static int Guard(Io io, bool verbose, Func<int> work)
    {
        try
        {
            return work();
        }
        catch (Exception e) when (e is ContractViolationException or ArgumentException)
        {
            return Fail(io, verbose, e, ExitCode.Usage);
        }
        catch (InvalidDataException e)
        {
            // Input that is not what the verb takes (not a recording, a damaged one): nothing changed.
            return Fail(io, verbose, e, ExitCode.Usage);
        }
        catch (FileSystemNotSupportedException e)
        {
            return Fail(io, verbose, e, ExitCode.NotSupported);
        }
        catch (Exception e) when (e is MoveIncompleteException or EditIncompleteException)
        {
            return Fail(io, verbose, e, ExitCode.Failed);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return Fail(io, verbose, e, ExitCode.Failed);
        }
    }

    private static int Fail(Io io, bool verbose, Exception e, ExitCode code)
    {
        io.Err.WriteLine($"movdata: {e.Message}");
        if (verbose)
        {
            io.Err.WriteLine(e.ToString());
        }
        return (int)code;
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
        if (json)
        {
            WriteJson(io, w =>
            {
                w.WriteStartObject();
                w.WriteNumber("length", r.Length);
                w.WriteString("method", r.Method.ToContractName());
                w.WriteNumber("bytesCopied", r.BytesCopied);
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
                    w.WriteString("method", s.Method);
                    w.WriteNumber("bytesCopied", s.BytesCopied);
                    w.WriteEndObject();
                }
                w.WriteEndArray();
                w.WriteEndObject();
            });
            return;
        }
        io.Out.WriteLine($"{verb}: {length} bytes ({Sizes.Human(length)}), {r.BytesCopied} bytes copied");
        foreach (EditStepResult s in r.Steps)
        {
            io.Out.WriteLine($"  {s.Step,-10} {s.Method,-14} {s.BytesCopied} bytes copied");
        }
    }
}
