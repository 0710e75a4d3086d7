using Amazon.Runtime;

namespace OrleansAof.Archive.S3.Tests;

/// <summary>Gives the SDK an HttpClient that records the method, path and headers of every request it sends.</summary>
public sealed class RecordingHttpClientFactory : HttpClientFactory
{
    private readonly List<RecordedRequest> _requests = [];

    public IReadOnlyList<RecordedRequest> Requests
    {
        get
        {
            lock (_requests)
            {
                return [.. _requests];
            }
        }
    }

    public override HttpClient CreateHttpClient(IClientConfig clientConfig) =>
        new(new RecordingHandler(this) { InnerHandler = new HttpClientHandler() });

    public override bool UseSDKHttpClientCaching(IClientConfig clientConfig) => false;

    public override bool DisposeHttpClientsAfterUse(IClientConfig clientConfig) => false;

    private sealed class RecordingHandler(RecordingHttpClientFactory owner) : DelegatingHandler
    {
        protected override Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
        {
            var headers = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);
            foreach (var header in request.Headers.Concat(request.Content?.Headers ?? Enumerable.Empty<KeyValuePair<string, IEnumerable<string>>>()))
            {
                headers[header.Key] = string.Join(",", header.Value);
            }

            lock (owner._requests)
            {
                owner._requests.Add(new RecordedRequest(request.Method.Method, request.RequestUri?.PathAndQuery ?? "", headers));
            }

            return base.SendAsync(request, cancellationToken);
        }
    }
}

public sealed record RecordedRequest(string Method, string PathAndQuery, IReadOnlyDictionary<string, string> Headers)
{
    public override string ToString() => $"{Method} {PathAndQuery} [{string.Join("; ", Headers.Select(h => $"{h.Key}={h.Value}"))}]";
}
