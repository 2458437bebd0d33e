import { AppError, type ModelContract } from '@crypto-predict/core';
import ort from 'onnxruntime-node';
import type { ServableModel } from '../domain/serving-ladder.js';

/** A contract's model running in onnxruntime-node on the CPU. */
export class OnnxModel implements ServableModel {
  private constructor(
    readonly name: string,
    readonly version: string,
    readonly contract: ModelContract,
    private readonly session: ort.InferenceSession,
  ) {}

  /**
   * Opens the ONNX file and checks it against its contract: input and output names, element type,
   * widths, and one run on a row of zeros that must give one finite value per horizon.
   */
  static async open(options: {
    name: string;
    version: string;
    contract: ModelContract;
    file: string;
  }): Promise<OnnxModel> {
    const { contract } = options;
    let session: ort.InferenceSession;
    try {
      session = await ort.InferenceSession.create(options.file, {
        executionProviders: ['cpu'],
        intraOpNumThreads: 1,
        interOpNumThreads: 1,
        graphOptimizationLevel: 'all',
      });
    } catch (error) {
      throw new AppError('MODEL_CONTRACT_MISMATCH', `onnxruntime cannot open ${options.file}`, {
        cause: error,
        retryable: false,
      });
    }
    const model = new OnnxModel(options.name, options.version, contract, session);
    const problems = model.sessionProblems();
    if (problems.length === 0) {
      try {
        await model.run([contract.features.map(() => 0)]);
      } catch (error) {
        problems.push(`a run on a row of zeros failed: ${error instanceof Error ? error.message : String(error)}`);
      }
    }
    if (problems.length > 0) {
      await session.release().catch(() => undefined);
      throw new AppError(
        'MODEL_CONTRACT_MISMATCH',
        `the ONNX model does not match its contract: ${problems.join('; ')}`,
        {
          retryable: false,
          details: { problems },
        },
      );
    }
    return model;
  }

  async run(inputs: readonly (readonly number[])[]): Promise<number[][]> {
    const { onnx, features, horizons } = this.contract;
    const width = features.length;
    const data =
      onnx.inputType === 'float32' ? new Float32Array(inputs.length * width) : new Float64Array(inputs.length * width);
    inputs.forEach((row, i) => {
      if (row.length !== width) throw new Error(`input row ${i} has ${row.length} values, the model takes ${width}`);
      data.set(row, i * width);
    });
    const result = await this.session.run({
      [onnx.input]: new ort.Tensor(onnx.inputType, data, [inputs.length, width]),
    });
    const output = result[onnx.output];
    if (output === undefined) throw new Error(`the model produced no output named ${onnx.output}`);
    const values = output.data;
    if (!(values instanceof Float32Array || values instanceof Float64Array)) {
      throw new Error(`output ${onnx.output} is ${output.type}, not float`);
    }
    const [rows, columns] = output.dims;
    if (output.dims.length !== 2 || rows !== inputs.length || columns !== horizons.length) {
      throw new Error(
        `output ${onnx.output} has shape [${output.dims.join(', ')}], expected [${inputs.length}, ${horizons.length}]`,
      );
    }
    const outputs: number[][] = [];
    for (let i = 0; i < rows; i += 1) {
      const row = Array.from(values.subarray(i * columns, (i + 1) * columns));
      if (row.some((value) => !Number.isFinite(value))) throw new Error(`output row ${i} is not finite`);
      outputs.push(row);
    }
    return outputs;
  }

  async release(): Promise<void> {
    await this.session.release();
  }

  private sessionProblems(): string[] {
    const { onnx, features, horizons } = this.contract;
    const problems: string[] = [];
    if (!this.session.inputNames.includes(onnx.input)) {
      problems.push(
        `contract input ${onnx.input} is not among the model's inputs (${this.session.inputNames.join(', ')})`,
      );
    }
    if (!this.session.outputNames.includes(onnx.output)) {
      problems.push(
        `contract output ${onnx.output} is not among the model's outputs (${this.session.outputNames.join(', ')})`,
      );
    }
    const input = this.session.inputMetadata.find((meta) => meta.name === onnx.input);
    if (input !== undefined && input.isTensor) {
      if (input.type !== onnx.inputType)
        problems.push(`model input is ${input.type}, the contract says ${onnx.inputType}`);
      const width = input.shape[1];
      if (input.shape.length !== 2) problems.push(`model input has rank ${input.shape.length}, expected 2`);
      else if (typeof width === 'number' && width !== features.length) {
        problems.push(`model input is ${width} wide, the contract lists ${features.length} features`);
      }
    }
    const output = this.session.outputMetadata.find((meta) => meta.name === onnx.output);
    if (output !== undefined && output.isTensor) {
      const width = output.shape[1];
      if (typeof width === 'number' && width !== horizons.length) {
        problems.push(`model output is ${width} wide, the contract lists ${horizons.length} horizons`);
      }
    }
    return problems;
  }
}
