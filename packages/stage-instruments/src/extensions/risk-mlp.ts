import { RISK_MLP_MANIFEST } from '../manifests.js';
import { riskExtension } from '../risk-extension.js';

/** symphony.risk-mlp: the more accurate `classify-risk` candidate. */
export default riskExtension('risk-mlp', RISK_MLP_MANIFEST);
