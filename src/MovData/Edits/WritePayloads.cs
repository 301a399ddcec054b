using Microsoft.Win32.SafeHandles;
using MovData.Operations;

namespace MovData.Edits;

/// <summary>
/// The payload files of a record's large Write steps (<see cref="WritePayload"/>):
/// <c>&lt;id&gt;.payload&lt;k&gt;</c> beside the record, for step k. They are written and made
/// durable before the record, so a record that survives a crash has them; read back and
/// checked against the record before recovery writes a byte of them; and removed with the
/// record (docs/journal.md).
/// </summary>
internal static class WritePayloads
{
    private const string Infix = ".payload";

    /// <summary>The name of step <paramref name="step"/>'s payload file in record <paramref name="id"/>'s journal.</summary>
    internal static string FileName(string id, int step) => $"{id}{Infix}{step}";

    /// <summary>The payload files <paramref name="plan"/> names.</summary>
    internal static IEnumerable<string> PathsOf(EditPlan plan) => plan.Steps.Where(s => s.Payload is not null).Select(s => plan.Files[s.B].Path);

    /// <summary>Writes each payload file (0600, as the record: they hold the caller's data)
    /// and makes it, and its name, durable; a failure's message begins with <c>before</c>
    /// ("nothing changed: ").</summary>
    /// <exception cref="IOException">One could not be written or made durable; nothing of the edit has begun.</exception>
    internal static void Write(EditPlan plan, string before)
    {
        bool any = false;
        foreach (EditStep s in plan.Steps.Where(s => s.Payload is not null))
        {
            string path = plan.Files[s.B].Path;
            using SafeFileHandle file = OwnFiles.Create(path, $"{before}creating the payload file {path}");
            long at = 0;
            foreach (Patch p in s.Patches)
            {
                FileWrites.At(file, p.Bytes, at, $"{before}writing the payload file {path}");
                at += p.Bytes.Length;
            }
            Durability.Sync(file, $"{before}fsync of the payload file {path}");
            any = true;
        }
        if (any)
        {
            Durability.SyncDirectory(plan.JournalDirectory);
        }
    }

    /// <summary>Reads the payload of each Write step not yet <paramref name="done"/> into its
    /// patches, checking it against the record. Returns what is wrong (a payload file
    /// missing, of another size, or whose checksum does not match), or null.</summary>
    internal static string? Load(EditPlan plan, HashSet<int> done)
    {
        for (int k = 0; k < plan.Steps.Count; k++)
        {
            if (plan.Steps[k] is not { Payload: { } payload } step || done.Contains(k))
            {
                continue;
            }
            string path = plan.Files[step.B].Path;
            byte[] bytes;
            try
            {
                bytes = File.ReadAllBytes(path);
            }
            catch (Exception e) when (e is FileNotFoundException or DirectoryNotFoundException)
            {
                return $"the payload file {path} of its step {k} is missing";
            }
            if (bytes.Length != payload.Length)
            {
                return $"the payload file {path} of its step {k} is {bytes.Length} bytes, not the {payload.Length} the record says";
            }
            if (WritePayload.ChecksumOf(bytes) != payload.Checksum)
            {
                return $"the payload file {path} of its step {k} does not match the record's checksum (damaged on disk, or changed by hand)";
            }
            int at = 0;
            for (int i = 0; i < step.Patches.Count; i++)
            {
                step.Patches[i] = step.Patches[i] with { Bytes = bytes[at..(at + payload.Counts[i])] };
                at += payload.Counts[i];
            }
        }
        return null;
    }

    /// <summary>Removes the payload files whose record was never named (a crash while it
    /// was being written): neither its draft nor its record is there.</summary>
    internal static void RemoveAbandoned(string journalDirectory)
    {
        string[] payloads;
        try
        {
            payloads = Directory.GetFiles(journalDirectory, "*" + Infix + "*");
        }
        catch (DirectoryNotFoundException)
        {
            return;
        }
        foreach (string path in payloads)
        {
            string name = Path.GetFileName(path);
            string id = name[..name.IndexOf(Infix, StringComparison.Ordinal)];
            if (!File.Exists(Path.Combine(journalDirectory, id + JournalRecord.DraftExtension)) && !File.Exists(Path.Combine(journalDirectory, id + JournalRecord.Extension)))
            {
                File.Delete(path);
            }
        }
    }
}
