using System.Globalization;
using System.IO.Hashing;
using System.Text;

namespace MovData.Edits;

/// <summary>What one step of an edit does. Each is written to the intent record before the
/// edit starts, and each can be run again after a crash once the steps before it are done:
/// that is what lets recovery finish an edit exactly as it would have finished.</summary>
internal enum StepKind
{
    /// <summary>fallocate COLLAPSE_RANGE of A [OffsetA, +Length); done if A's size already dropped.</summary>
    Collapse,

    /// <summary>fallocate INSERT_RANGE of A at OffsetA; done if A's size already grew.</summary>
    Insert,

    /// <summary>A [OffsetA, +Length) into sidecar B at OffsetB (clone or copy); at OffsetB 0
    /// the sidecar is emptied first. A is intact until a later step.</summary>
    Save,

    /// <summary>Sets A's size to Length.</summary>
    Truncate,

    /// <summary>Sidecar B [OffsetB, +Length) into A at OffsetA (clone or copy), past A's end or into a hole.</summary>
    Restore,

    /// <summary>Removes file A: MovData's own, or the caller's file of removed parts that a
    /// restore has emptied back into the recording (its last step; gone, it is done).</summary>
    Unlink,

    /// <summary>Copies A [OffsetA, +Length) to B at OffsetB (the source is intact until a later step).</summary>
    Copy,

    /// <summary>Punches A [OffsetA, +Length).</summary>
    Punch,

    /// <summary>The seed's Move, A to B; on recovery, whatever the donor still holds is
    /// transferred again and the donor range punched.</summary>
    Move,

    /// <summary>FICLONERANGE A [OffsetA, +Length) to B at OffsetB.</summary>
    Clone,

    /// <summary>Creates MovData's own file A with size Length.</summary>
    Create,

    /// <summary>Renames MovData's own file A to B's path, refusing to replace a file.</summary>
    Rename,

    /// <summary>Writes the step's patches into A (each its bytes, repeated to fill its
    /// length): the null packets and marks of a media cut. Writing them again changes nothing.
    /// Where the bytes are more than the record's text should carry, they are in file B, the
    /// record's payload file (<see cref="EditStep.Payload"/>); otherwise B is -1.</summary>
    Write,
}

/// <summary>Bytes to write at <paramref name="Offset"/>: <paramref name="Bytes"/> repeated to
/// fill <paramref name="Length"/> (one null packet repeated makes a run of them).</summary>
internal sealed record Patch(long Offset, long Length, byte[] Bytes);

/// <summary>
/// Where a <see cref="StepKind.Write"/> step's bytes are when they are too many for hex
/// lines in the record (an index a media format rewrites can be megabytes): in the step's
/// file B, written and made durable before the record, <paramref name="Length"/> bytes whose
/// CRC-32 is <paramref name="Checksum"/>, cut into the step's patches in order,
/// <paramref name="Counts"/> bytes each. Recovery checks both before it writes a byte of them.
/// </summary>
internal sealed record WritePayload(long Length, string Checksum, List<int> Counts)
{
    /// <summary>The payload of <paramref name="patches"/>: their bytes, one after the other.</summary>
    internal static WritePayload Of(List<Patch> patches)
    {
        var crc = new Crc32();
        foreach (Patch p in patches)
        {
            crc.Append(p.Bytes);
        }
        return new(patches.Sum(p => (long)p.Bytes.Length), Convert.ToHexString(crc.GetCurrentHash()), [.. patches.Select(p => p.Bytes.Length)]);
    }

    internal static string ChecksumOf(ReadOnlySpan<byte> bytes) => Convert.ToHexString(Crc32.Hash(bytes));
}

/// <summary>How a file of an edit is known.</summary>
internal enum EditFileKind
{
    /// <summary>The caller's file: recovery opens it by path and checks device and inode.</summary>
    User,

    /// <summary>MovData's own (a sidecar, an output being built, a Write step's payload), in the journal directory.</summary>
    Own,

    /// <summary>A path the edit creates at its end (a concat output).</summary>
    Target,
}

/// <summary>A small file beside an edited one that an edit rewrites whole, or creates where
/// there is none (<see cref="Plans.Replace"/>): a player's EDL beside a recording.</summary>
internal sealed record ReplacedFile(string Path, byte[] Bytes);

/// <summary>A file of an edit; Birth is its creation time in nanoseconds (0 where unknown).</summary>
internal sealed record EditFile(string Role, EditFileKind Kind, ulong Device, ulong Inode, string Path, long Birth = 0);

/// <summary>One step: a kind, the user-visible step it belongs to (<paramref name="Group"/>),
/// files by index in the plan's table, offsets, a length, and for a shift the size of A
/// before it (recovery tells by the size whether it happened).</summary>
internal sealed record EditStep(StepKind Kind, string Group, int A, long OffsetA, int B, long OffsetB, long Length, long SizeBefore = -1, bool ByClone = false)
{
    /// <summary>What a <see cref="StepKind.Write"/> writes, in order.</summary>
    internal List<Patch> Patches { get; init; } = [];

    /// <summary>For a <see cref="StepKind.Write"/> whose bytes are in payload file B: how
    /// many and their checksum. Null where the record's <c>patch</c> lines carry them.</summary>
    internal WritePayload? Payload { get; init; }
}

/// <summary>
/// An edit written out in full before it starts. <see cref="Discard"/> says which way
/// recovery goes: forward (finish it) or, for an edit that had not yet touched the caller's
/// files (a concat by cloning, building its output aside), discard what it built.
/// </summary>
internal sealed class EditPlan(string name, string id, string journalDirectory)
{
    internal string Name { get; } = name;
    internal string Id { get; } = id;
    internal string JournalDirectory { get; } = journalDirectory;
    internal bool Discard { get; set; }
    internal List<EditFile> Files { get; } = [];
    internal List<EditStep> Steps { get; } = [];

    /// <summary>The steps the caller sees, in order, with the method known when planning
    /// (null for a Move: its method is learnt when it runs).</summary>
    internal List<(string Group, StepMethod? Method)> Groups { get; } = [];

    internal int AddFile(EditFile file)
    {
        Files.Add(file);
        return Files.Count - 1;
    }

    /// <summary>A sidecar file of this edit in the journal directory (same filesystem as the file it saves).</summary>
    internal int AddSidecar() => AddFile(new EditFile("sidecar", EditFileKind.Own, 0, 0,
        System.IO.Path.Combine(JournalDirectory, $"{Id}.sidecar{Files.Count}")));

    internal void Group(string group, StepMethod? method)
    {
        int i = Groups.FindIndex(g => g.Group == group);
        if (i < 0)
        {
            Groups.Add((group, method));
        }
        else if (Rank(method) > Rank(Groups[i].Method))
        {
            Groups[i] = (group, method);
        }
    }

    // The step's method is its most copying part: native, then emulated, then a move or clone
    // of whole blocks (with copied edges), then copy.
    private static int Rank(StepMethod? method) => method switch { StepMethod.Native => 0, StepMethod.Emulated => 1, StepMethod.Copy => 3, _ => 2 };

    /// <summary>A planned group's method as the record spells it ("move" for one learnt when it runs).</summary>
    private static string RecordName(StepMethod? method) => method?.ToContractName() ?? "move";

    /// <summary>A Write step's bytes up to this many go into the record as hex; more go into
    /// a payload file of the record's own (<see cref="WritePayload"/>).</summary>
    internal const int InlineWriteBytes = 64 * 1024;

    internal void Add(EditStep step)
    {
        if (step.Kind == StepKind.Write && step.B < 0 && step.Patches.Sum(p => (long)p.Bytes.Length) > InlineWriteBytes)
        {
            int payload = AddFile(new EditFile("payload", EditFileKind.Own, 0, 0, System.IO.Path.Combine(JournalDirectory, WritePayloads.FileName(Id, Steps.Count))));
            step = step with { B = payload, Payload = WritePayload.Of(step.Patches) };
        }
        Steps.Add(step);
    }

    // ---- the intent record's text: one line per fact, numbers in invariant culture ----

    /// <summary>
    /// A record's first line is <c>movdata-journal N</c>. Version 2 ends the plan with
    /// <c>begin CRC</c>, the CRC-32 of every byte before that line, so a record damaged on
    /// disk is never acted on; version 3 adds a Write step's <c>payload</c> and <c>part</c>
    /// lines (its bytes in a payload file); version 4, runs in a <c>patch</c> line's bytes
    /// (<see cref="PatchText"/>). A record is written at the lowest version that holds it,
    /// so a MovData that reads only versions 1 and 2 still finishes every edit it could
    /// read before, and refuses, as newer, the others; all four are read.
    /// </summary>
    private const string MagicPrefix = "movdata-journal ";

    private const int Version = 2, PayloadVersion = 3, RunsVersion = 4;

    internal string ToRecord()
    {
        var sb = new StringBuilder();
        bool runs = false; // whether a patch line spells its bytes with runs: version 4
        Line(sb, $"edit {Name}");
        Line(sb, $"recover {(Discard ? "discard" : "forward")}");
        Line(sb, $"home {Uri.EscapeDataString(JournalDirectory)}");
        for (int i = 0; i < Files.Count; i++)
        {
            EditFile f = Files[i];
            Line(sb, $"file {i} {f.Role} {f.Kind} {f.Device} {f.Inode} {f.Birth} {Uri.EscapeDataString(f.Path)}");
        }
        foreach ((string group, StepMethod? method) in Groups)
        {
            Line(sb, $"group {group} {RecordName(method)}");
        }
        foreach (EditStep s in Steps)
        {
            Line(sb, $"step {s.Kind} {s.Group} {s.A} {s.OffsetA} {s.B} {s.OffsetB} {s.Length} {s.SizeBefore} {(s.ByClone ? 1 : 0)}");
            if (s.Payload is { } payload)
            {
                // The step's bytes are in file B: how many, their checksum, then each patch
                // with the count of them it takes, in order.
                Line(sb, $"payload {payload.Length} {payload.Checksum}");
                for (int i = 0; i < s.Patches.Count; i++)
                {
                    Line(sb, $"part {s.Patches[i].Offset} {s.Patches[i].Length} {payload.Counts[i]}");
                }
                continue;
            }
            foreach (Patch patch in s.Patches)
            {
                // Belongs to the step above it.
                string bytes = PatchText.Write(patch.Bytes);
                runs |= PatchText.HasRuns(bytes);
                Line(sb, $"patch {patch.Offset} {patch.Length} {bytes}");
            }
        }
        int version = runs ? RunsVersion : Steps.Any(s => s.Payload is not null) ? PayloadVersion : Version;
        sb.Insert(0, FormattableString.Invariant($"{MagicPrefix}{version}\n"));
        // Written last: a record without it was cut short before the edit began.
        string checksum = Checksum(sb.ToString());
        sb.Append("begin ").Append(checksum).Append('\n');
        return sb.ToString();
    }

    private static string Checksum(string text) => Convert.ToHexString(Crc32.Hash(Encoding.UTF8.GetBytes(text)));

    private static void Line(StringBuilder sb, FormattableString line) => sb.Append(FormattableString.Invariant(line)).Append('\n');

    /// <summary>
    /// Reads a record. Its <see cref="RecordReading.Plan"/> is null when the record is
    /// incomplete (empty or zero-filled: a crash before it was durable, so the edit never
    /// began) or damaged; a damaged
    /// record has <see cref="RecordReading.Damage"/> saying why, and the files it names as far
    /// as they can be read. Never throws on the text.
    /// </summary>
    internal static RecordReading Read(string text, string id)
    {
        // A crash while appending "done k" can leave a torn last line: it never counted.
        string whole = text[..(text.LastIndexOf('\n') + 1)];
        string[] lines = whole.Split('\n');
        List<EditFile> named = [.. lines.Select(FileLine).OfType<EditFile>()];
        if (whole.Trim('\0', ' ', '\n').Length == 0)
        {
            return new RecordReading(null, [], null, named); // nothing of it reached the disk
        }
        if (!lines[0].StartsWith(MagicPrefix, StringComparison.Ordinal) || !int.TryParse(lines[0].AsSpan(MagicPrefix.Length), NumberStyles.None, CultureInfo.InvariantCulture, out int version))
        {
            return Damaged($"it is not a MovData journal record (its first line is '{Shorten(lines[0])}')");
        }
        if (version is < 1 or > RunsVersion)
        {
            return Damaged($"it was written by a newer MovData (journal version {version}; this one reads versions 1 to {RunsVersion})");
        }
        EditPlan? plan = null;
        bool begun = false;
        HashSet<int> done = [];
        int offset = 0;
        for (int n = 0; n < lines.Length; offset += lines[n].Length + 1, n++)
        {
            string line = lines[n];
            if (n == 0 || (line.Length == 0 && n == lines.Length - 1))
            {
                continue;
            }
            string? problem;
            try
            {
                problem = Apply(line, id, ref plan, ref begun, done, version, whole[..offset]);
            }
            catch (Exception e) when (e is FormatException or OverflowException or IndexOutOfRangeException or ArgumentException)
            {
                problem = "it is not understood";
            }
            if (problem is not null)
            {
                return Damaged($"line {n + 1} ('{Shorten(line)}'): {problem}");
            }
        }
        if (!begun)
        {
            // A record is named only once its whole text is written, so text that stops short
            // of "begin" is damage, not an edit that never began (what a crash leaves of a
            // record that never became durable is an empty or zero-filled file, above).
            return Damaged("it ends before its 'begin' line (cut short)");
        }
        if (plan is null || plan.JournalDirectory.Length == 0)
        {
            return Damaged("it has no edit or home line");
        }
        int bad = plan.Steps.FindIndex(s => s.Kind == StepKind.Write && !PayloadDescribed(plan, s));
        if (bad >= 0)
        {
            return Damaged($"its Write step {bad} names a payload file without its payload line, or parts that do not add up to it");
        }
        return new RecordReading(plan, done, null, named);

        RecordReading Damaged(string why) => new(null, [], why, named);
    }

    /// <summary>Applies one line to the plan being read; returns what is wrong with it, or null.</summary>
    private static string? Apply(string line, string id, ref EditPlan? plan, ref bool begun, HashSet<int> done, int version, string before)
    {
        string[] w = line.Split(' ');
        if (begun)
        {
            // After "begin" come only the steps recorded done, each once and in order.
            if (w[0] != "done" || w.Length != 2)
            {
                return "only 'done' lines may follow 'begin'";
            }
            int k = Int(w[1]);
            return k < 0 || k >= plan!.Steps.Count || done.Count > 0 && k <= done.Max() ? "steps are recorded done once each, in order" : done.Add(k) ? null : "a step is recorded done twice";
        }
        switch (w[0])
        {
            case "edit" when w.Length == 2:
                plan = new EditPlan(w[1], id, "");
                return null;
            case "recover" when plan is not null && w.Length == 2 && w[1] is "discard" or "forward":
                plan.Discard = w[1] == "discard";
                return null;
            case "home" when plan is not null && w.Length == 2:
                bool discard = plan.Discard;
                plan = new EditPlan(plan.Name, id, Uri.UnescapeDataString(w[1])) { Discard = discard };
                return null;
            case "file" when plan is not null && FileLine(line) is { } file:
                plan.Files.Add(file);
                return Int(w[1]) == plan.Files.Count - 1 ? null : "files are numbered in order";
            case "group" when plan is not null && w.Length == 3:
                StepMethod? method = w[2] == "move" ? null : ContractNames.ParseStepMethod(w[2]);
                plan.Groups.Add((w[1], method));
                return w[2] == "move" || method is not null ? null : $"the step method '{w[2]}' is not one this version knows";
            case "step" when plan is not null && w.Length == 10:
                var step = new EditStep(Enum.Parse<StepKind>(w[1]), w[2], Int(w[3]), Long(w[4]), Int(w[5]), Long(w[6]), Long(w[7]), Long(w[8]), w[9] == "1");
                plan.Steps.Add(step);
                return step.A < 0 || step.A >= plan.Files.Count || step.B >= plan.Files.Count ? "it names a file the record does not have" : null;
            case "patch" when plan is not null && plan.Steps.Count > 0 && plan.Steps[^1].Payload is null && w.Length == 4:
                if ((version < RunsVersion && PatchText.HasRuns(w[3])) || PatchText.Read(w[3], Long(w[2])) is not { } bytes)
                {
                    return "its bytes are not hex (with runs from version 4 on), or its runs outnumber its length";
                }
                plan.Steps[^1].Patches.Add(new Patch(Long(w[1]), Long(w[2]), bytes));
                return null;
            case "payload" when version >= PayloadVersion && plan is not null && plan.Steps.Count > 0 && plan.Steps[^1] is { Kind: StepKind.Write, Payload: null, Patches.Count: 0 } && w.Length == 3:
                plan.Steps[^1] = plan.Steps[^1] with { Payload = new WritePayload(Long(w[1]), w[2], []) };
                return null;
            case "part" when plan is not null && plan.Steps.Count > 0 && plan.Steps[^1].Payload is { } payload && w.Length == 4:
                // Its bytes are read from the payload file, and checked, when recovery needs them.
                plan.Steps[^1].Patches.Add(new Patch(Long(w[1]), Long(w[2]), []));
                payload.Counts.Add(Int(w[3]));
                return payload.Counts[^1] > 0 ? null : "a part takes no bytes";
            case "begin" when version == 1 && w.Length == 1:
                begun = true;
                return null;
            case "begin" when version >= 2 && w.Length == 2:
                begun = true;
                return w[1] == Checksum(before) ? null : "the record's checksum does not match its text (damaged on disk, or changed by hand)";
            default:
                return "it is not understood";
        }
    }

    /// <summary>A Write step's bytes are in its patch lines, or all in a payload file of the
    /// record's own that its payload line describes and its part lines add up to.</summary>
    private static bool PayloadDescribed(EditPlan plan, EditStep s) => s.Payload is not { } p
        ? s.B < 0
        : s.B >= 0 && plan.Files[s.B].Kind == EditFileKind.Own && p.Counts.Sum(c => (long)c) == p.Length;

    /// <summary>A <c>file</c> line, or null: read on its own so that a damaged record still
    /// says which files it names.</summary>
    private static EditFile? FileLine(string line)
    {
        string[] w = line.Split(' ');
        if (w.Length != 8 || w[0] != "file" || !Enum.TryParse(w[3], out EditFileKind kind)
            || !ulong.TryParse(w[4], NumberStyles.None, CultureInfo.InvariantCulture, out ulong device)
            || !ulong.TryParse(w[5], NumberStyles.None, CultureInfo.InvariantCulture, out ulong inode)
            || !long.TryParse(w[6], NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out long birth))
        {
            return null;
        }
        try
        {
            return new EditFile(w[2], kind, device, inode, Uri.UnescapeDataString(w[7]), birth);
        }
        catch (UriFormatException)
        {
            return null;
        }
    }

    private static string Shorten(string line) => line.Length <= 60 ? line : line[..57] + "...";

    private static int Int(string s) => int.Parse(s, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture);

    private static long Long(string s) => long.Parse(s, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture);
}

/// <summary>A journal record as read: its plan and the steps recorded done, or why it cannot
/// be read; and the files it names as far as they could be read either way.</summary>
internal sealed record RecordReading(EditPlan? Plan, HashSet<int> Done, string? Damage, IReadOnlyList<EditFile> Files);
