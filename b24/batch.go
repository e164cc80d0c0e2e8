package b24

import (
	"context"
	"encoding/json"
	"fmt"
)

// MaxBatchCommands is how many commands B24 accepts in one batch call; more are answered
// 400 ERROR_BATCH_LENGTH_EXCEEDED.
const MaxBatchCommands = 50

// BatchCommand is one command of a batch: its result is keyed by Key.
type BatchCommand struct {
	Key    string
	Method string
	Params any // as for Call; encoded with EncodeQuery
}

// BatchResult holds each command's result or error, by key. A command that did not run (the
// batch halted before it) has neither.
type BatchResult struct {
	Results map[string]json.RawMessage
	Errors  map[string]*APIError
}

// Batch runs commands through the batch method. More than 50 commands are sent as several
// batch calls, in order; with halt, no call is sent after one that had an error. References to
// earlier results ($result[key]) only work inside one call of 50.
//
// Uploads are not allowed in a batch: B24 answers ERROR_BATCH_METHOD_NOT_ALLOWED for methods
// that carry files (b24-facts 7), so send disk.folder.uploadfile through Call.
// https://apidocs.bitrix24.com/settings/how-to-call-rest-api/batch.html
func (c *Client) Batch(ctx context.Context, memberID string, cmds []BatchCommand,
	halt bool) (BatchResult, error) {
	res := BatchResult{Results: map[string]json.RawMessage{}, Errors: map[string]*APIError{}}
	if err := checkBatchKeys(cmds); err != nil {
		return res, err
	}

	for start := 0; start < len(cmds); start += MaxBatchCommands {
		chunk := cmds[start:min(start+MaxBatchCommands, len(cmds))]
		if err := c.batchChunk(ctx, memberID, chunk, halt, &res); err != nil {
			return res, err
		}

		if halt && len(res.Errors) > 0 {
			break
		}
	}

	return res, nil
}

func checkBatchKeys(cmds []BatchCommand) error {
	seen := make(map[string]bool, len(cmds))
	for _, cmd := range cmds {
		if cmd.Key == "" || cmd.Method == "" {
			return fmt.Errorf("b24: batch: command without key or method")
		}

		if seen[cmd.Key] {
			return fmt.Errorf("b24: batch: duplicate key %q", cmd.Key)
		}

		seen[cmd.Key] = true
	}

	return nil
}

type batchAnswer struct {
	Result json.RawMessage `json:"result"`
	Errors json.RawMessage `json:"result_error"`
}

func (c *Client) batchChunk(ctx context.Context, memberID string, chunk []BatchCommand,
	halt bool, res *BatchResult) error {
	params, err := batchParams(chunk, halt)
	if err != nil {
		return err
	}

	var answer batchAnswer
	if err := c.Call(ctx, memberID, "batch", params, &answer); err != nil {
		return err
	}

	return collectBatch(answer, chunk, res)
}

func batchParams(chunk []BatchCommand, halt bool) (Ordered, error) {
	cmd := make(Ordered, 0, len(chunk))
	for _, bc := range chunk {
		q, err := EncodeQuery(bc.Params)
		if err != nil {
			return nil, fmt.Errorf("b24: batch: command %q: %w", bc.Key, err)
		}

		line := bc.Method
		if q != "" {
			line += "?" + q
		}

		cmd = append(cmd, KV{bc.Key, line})
	}

	haltFlag := 0
	if halt {
		haltFlag = 1
	}

	return Ordered{{"halt", haltFlag}, {"cmd", cmd}}, nil
}

func collectBatch(answer batchAnswer, chunk []BatchCommand, res *BatchResult) error {
	results, err := keyedRaw(answer.Result)
	if err != nil {
		return fmt.Errorf("b24: batch: decode results: %w", err)
	}

	errs, err := keyedRaw(answer.Errors)
	if err != nil {
		return fmt.Errorf("b24: batch: decode errors: %w", err)
	}

	for _, bc := range chunk {
		if raw, ok := results[bc.Key]; ok {
			res.Results[bc.Key] = raw
		}

		if raw, ok := errs[bc.Key]; ok {
			res.Errors[bc.Key] = batchError(bc.Method, raw)
		}
	}

	return nil
}

func batchError(method string, raw json.RawMessage) *APIError {
	var body errorBody
	_ = json.Unmarshal(raw, &body)
	code, desc := body.code()
	return &APIError{Code: code, Description: desc, Method: method}
}
