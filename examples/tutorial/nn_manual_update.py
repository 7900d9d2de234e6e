# PyTorch: nn 패키지 (nn module)
#
# nn 패키지로 2계층 신경망을 정의한다. nn.Sequential은 모듈(Module)들을 순서대로
# 적용하는 모듈이고, 각 Linear 모듈은 가중치와 편향을 내부 Tensor로 가진다.
# 가중치 갱신은 직접(수동으로) 한다.
import ember as torch

torch.manual_seed(0)

# N은 배치 크기, D_in은 입력의 차원, H는 은닉층의 차원, D_out은 출력 차원이다.
N, D_in, H, D_out = 64, 1000, 100, 10

x = torch.randn(N, D_in)
y = torch.randn(N, D_out)

# nn 패키지로 모델을 층(layer)의 순서로 정의한다.
model = torch.nn.Sequential(
    torch.nn.Linear(D_in, H),
    torch.nn.ReLU(),
    torch.nn.Linear(H, D_out),
)

# 손실 함수로 평균제곱오차(MSE)를 쓴다. reduction='sum'이면 평균 대신 합을 계산한다.
loss_fn = torch.nn.MSELoss(reduction="sum")

learning_rate = 1e-4
for t in range(500):
    # 순전파 단계: 모델에 x를 전달하여 예측값 y를 계산한다.
    y_pred = model(x)

    # 손실을 계산하고 출력한다.
    loss = loss_fn(y_pred, y)
    if t == 0 or t % 100 == 99:
        print(t, "번째 학습결과 : ", loss.item())

    # 역전파 단계를 실행하기 전에 변화도를 0으로 만든다.
    model.zero_grad()

    # 역전파 단계: 모델의 모든 학습 가능한 매개변수에 대한 손실의 변화도를 계산한다.
    loss.backward()

    # 경사하강법으로 가중치를 갱신한다. 각 매개변수는 Tensor이므로 변화도에 접근할 수 있다.
    with torch.no_grad():
        for param in model.parameters():
            param -= learning_rate * param.grad
