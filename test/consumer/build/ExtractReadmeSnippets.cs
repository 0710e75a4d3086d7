// Compiled by MSBuild (RoslynCodeTaskFactory, against netstandard2.0: no records or init) for the package consumer: turns the marked ```csharp blocks of the
// README files into C# files of the consumer projects. See test/consumer/README.md.
#nullable enable

using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Text;
using System.Text.RegularExpressions;
using Microsoft.Build.Framework;
using Microsoft.Build.Utilities;

public sealed class ExtractReadmeSnippets : Task
{
    private static readonly Regex Marker = new(@"^\s*<!--\s*snippet:\s*(?<name>[A-Za-z][A-Za-z0-9_-]*)\s*,\s*scaffold:\s*(?<scaffold>[A-Za-z][A-Za-z0-9_-]*)\s*-->\s*$");
    private static readonly Regex NoSnippet = new(@"^\s*<!--\s*no-snippet\b.*-->\s*$");
    private static readonly Regex AnyMarker = new(@"^\s*<!--\s*(no-)?snippet\b");
    private static readonly Regex Fence = new(@"^(?<indent>\s*)(?<ticks>`{3,})\s*(?<lang>[^\s`]*)");
    private static readonly Regex UsingDirective = new(@"^using\s+(static\s+)?(\w+\s*=\s*)?[\w.]+(<[\w.,\s<>]*>)?\s*;\s*(//.*)?$");

    /// <summary>The Markdown files to read.</summary>
    [Required]
    public ITaskItem[] Documents { get; set; } = [];

    /// <summary>Every scaffold of every consumer project (<c>{project}/scaffolds/{name}.scaffold.cs</c>).</summary>
    [Required]
    public ITaskItem[] Scaffolds { get; set; } = [];

    /// <summary>This project's scaffolds folder: the snippets whose scaffold is there are generated for this project.</summary>
    [Required]
    public string ProjectScaffoldDirectory { get; set; } = "";

    [Required]
    public string OutputDirectory { get; set; } = "";

    [Output]
    public ITaskItem[] Generated { get; set; } = [];

    private sealed class Snippet
    {
        public Snippet(string name, string scaffold, string document, int firstLine, List<string> lines)
        {
            Name = name;
            Scaffold = scaffold;
            Document = document;
            FirstLine = firstLine;
            Lines = lines;
        }

        public string Name { get; }

        public string Scaffold { get; }

        public string Document { get; }

        /// <summary>The 1-based line of the Markdown file that holds the snippet's first line.</summary>
        public int FirstLine { get; }

        public List<string> Lines { get; }
    }

    public override bool Execute()
    {
        var scaffolds = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var item in Scaffolds)
        {
            var path = Path.GetFullPath(item.ItemSpec);
            var name = Path.GetFileName(path);
            scaffolds[name.Substring(0, name.Length - ".scaffold.cs".Length)] = path;
        }

        var snippets = new List<Snippet>();
        foreach (var document in Documents)
        {
            Read(Path.GetFullPath(document.ItemSpec), scaffolds, snippets);
        }

        foreach (var duplicate in snippets.GroupBy(s => s.Name, StringComparer.Ordinal).Where(g => g.Count() > 1))
        {
            foreach (var s in duplicate)
            {
                Error(s.Document, s.FirstLine - 2, $"snippet name '{s.Name}' is used more than once; names must be unique across the README files.");
            }
        }

        if (Log.HasLoggedErrors)
        {
            return false;
        }

        var mine = Path.GetFullPath(ProjectScaffoldDirectory).TrimEnd(Path.DirectorySeparatorChar) + Path.DirectorySeparatorChar;
        Directory.CreateDirectory(OutputDirectory);
        var generated = new List<ITaskItem>();
        foreach (var snippet in snippets)
        {
            var scaffold = scaffolds[snippet.Scaffold];
            if (!scaffold.StartsWith(mine, StringComparison.Ordinal))
            {
                continue;
            }

            var file = Path.Combine(OutputDirectory, snippet.Name + ".g.cs");
            var text = Render(File.ReadAllLines(scaffold), snippet);
            if (!File.Exists(file) || File.ReadAllText(file) != text)
            {
                File.WriteAllText(file, text);
            }

            generated.Add(new TaskItem(file));
        }

        foreach (var stale in Directory.GetFiles(OutputDirectory, "*.g.cs").Except(generated.Select(g => g.ItemSpec), StringComparer.Ordinal))
        {
            File.Delete(stale);
        }

        Generated = generated.ToArray();
        return true;
    }

    private void Read(string document, Dictionary<string, string> scaffolds, List<Snippet> snippets)
    {
        var lines = File.ReadAllLines(document);
        string? pendingName = null, pendingScaffold = null;
        var pendingLine = 0;
        var optedOut = false;
        for (var i = 0; i < lines.Length; i++)
        {
            var line = lines[i];
            var fence = Fence.Match(line);
            if (fence.Success)
            {
                var lang = fence.Groups["lang"].Value.ToLowerInvariant();
                var close = FindClose(lines, i, fence.Groups["ticks"].Value);
                if (close < 0)
                {
                    Error(document, i, "a code block is not closed.");
                    return;
                }

                if (lang is "csharp" or "cs" or "c#")
                {
                    if (pendingName is not null)
                    {
                        var indent = fence.Groups["indent"].Value.Length;
                        var body = lines.Skip(i + 1).Take(close - i - 1).Select(l => l.Length >= indent && string.IsNullOrWhiteSpace(l.Substring(0, indent)) ? l.Substring(indent) : l.TrimStart()).ToList();
                        snippets.Add(new Snippet(pendingName, pendingScaffold!, document, i + 2, body));
                    }
                    else if (!optedOut)
                    {
                        Error(document, i, "a ```csharp block has no <!-- snippet: NAME, scaffold: SCAFFOLD --> marker (or <!-- no-snippet: why --> to leave it uncompiled) on the line before it.");
                    }
                }
                else if (pendingName is not null)
                {
                    Error(document, pendingLine, $"snippet '{pendingName}' is followed by a ```{lang} block, not a ```csharp block.");
                }

                pendingName = pendingScaffold = null;
                optedOut = false;
                i = close;
                continue;
            }

            if (string.IsNullOrWhiteSpace(line))
            {
                continue;
            }

            if (pendingName is not null)
            {
                Error(document, pendingLine, $"snippet '{pendingName}' is not followed by a ```csharp block.");
            }

            pendingName = pendingScaffold = null;
            optedOut = false;
            var marker = Marker.Match(line);
            if (marker.Success)
            {
                pendingName = marker.Groups["name"].Value;
                pendingScaffold = marker.Groups["scaffold"].Value;
                pendingLine = i;
                if (!scaffolds.ContainsKey(pendingScaffold))
                {
                    Error(document, i, $"unknown scaffold '{pendingScaffold}'; the scaffolds are: {string.Join(", ", scaffolds.Keys.OrderBy(k => k, StringComparer.Ordinal))} (test/consumer/*/scaffolds).");
                    pendingName = null;
                    optedOut = true;
                }
            }
            else if (NoSnippet.IsMatch(line))
            {
                optedOut = true;
            }
            else if (AnyMarker.IsMatch(line))
            {
                Error(document, i, "malformed marker; write <!-- snippet: NAME, scaffold: SCAFFOLD --> or <!-- no-snippet: why -->.");
            }
        }

        if (pendingName is not null)
        {
            Error(document, pendingLine, $"snippet '{pendingName}' is not followed by a ```csharp block.");
        }
    }

    private static int FindClose(string[] lines, int open, string ticks)
    {
        for (var j = open + 1; j < lines.Length; j++)
        {
            var t = lines[j].Trim();
            if (t.Length >= ticks.Length && t.Trim('`').Length == 0)
            {
                return j;
            }
        }

        return -1;
    }

    /// <summary>
    /// The scaffold with <c>$SnippetName$</c> replaced by the snippet's name in PascalCase, the line holding
    /// <c>//#usings</c> by the snippet's leading using directives and the line holding <c>//#snippet</c> by the rest;
    /// <c>#line</c> directives make compiler errors point at the Markdown file.
    /// </summary>
    private static string Render(string[] scaffold, Snippet snippet)
    {
        var usings = new List<(int Line, string Text)>();
        var start = 0;
        for (; start < snippet.Lines.Count; start++)
        {
            var l = snippet.Lines[start].Trim();
            if (l.Length == 0 || l.StartsWith("//", StringComparison.Ordinal))
            {
                continue;
            }

            if (!UsingDirective.IsMatch(l))
            {
                break;
            }

            usings.Add((snippet.FirstLine + start, l));
        }

        // The hoisted using lines become blank lines, so the body keeps the Markdown file's line numbers.
        var rest = new List<string>();
        for (var k = 0; k < snippet.Lines.Count; k++)
        {
            if (k < start && usings.Any(u => u.Line == snippet.FirstLine + k))
            {
                rest.Add("");
                continue;
            }

            rest.Add(snippet.Lines[k]);
        }

        // A using directive the scaffold already has is not repeated (CS0105).
        var present = new HashSet<string>(scaffold.Select(l => l.Trim()).Where(l => UsingDirective.IsMatch(l)), StringComparer.Ordinal);
        usings.RemoveAll(u => present.Contains(u.Text));
        var path = snippet.Document.Replace("\\", "\\\\");
        var output = new StringBuilder();
        output.Append("// <auto-generated>From ").Append(Path.GetFileName(snippet.Document)).Append(", snippet '").Append(snippet.Name)
            .Append("', scaffold '").Append(snippet.Scaffold).Append("'.</auto-generated>\n");
        foreach (var raw in scaffold)
        {
            var line = raw.Replace("$SnippetName$", Pascal(snippet.Name));
            if (line.Trim() == "//#usings")
            {
                foreach (var (number, text) in usings)
                {
                    output.Append("#line ").Append(number).Append(" \"").Append(path).Append("\"\n").Append(text).Append('\n');
                }

                output.Append("#line default\n");
            }
            else if (line.Trim() == "//#snippet")
            {
                output.Append("#line ").Append(snippet.FirstLine).Append(" \"").Append(path).Append("\"\n");
                foreach (var l in rest)
                {
                    output.Append(l).Append('\n');
                }

                output.Append("#line default\n");
            }
            else
            {
                output.Append(line).Append('\n');
            }
        }

        return output.ToString();
    }

    private static string Pascal(string name) =>
        string.Concat(name.Split(new[] { '-', '_' }, StringSplitOptions.RemoveEmptyEntries).Select(p => char.ToUpperInvariant(p[0]) + p.Substring(1)));

    private void Error(string document, int zeroBasedLine, string message) =>
        Log.LogError("snippet", "AOFSNIPPET", null, document, zeroBasedLine + 1, 1, 0, 0, message);
}
